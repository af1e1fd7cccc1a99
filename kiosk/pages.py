"""Bits shared by the hall's HTML pages: a hall's name per language, the 404 page."""

from __future__ import annotations

from aiohttp import web

from flows.domain.halls import Hall
from flows.engine.i18n import text, to_latin
from flows.engine.messages import DEFAULT_LANGUAGE
from kiosk.assets import Assets


def hall_name(hall: Hall, language: str) -> str:
    if language == "en":
        return hall.name_en
    return to_latin(hall.name) if language == "sr-Latn" else hall.name


async def unknown_hall(assets: Assets) -> web.Response:
    """A polite 404 for a kiosk or display address that no hall has."""
    values = {
        "lang": DEFAULT_LANGUAGE,
        "title": text("kiosk.not_found.title", DEFAULT_LANGUAGE),
        "body": text("kiosk.not_found.body", DEFAULT_LANGUAGE),
        "home": text("landing.title", DEFAULT_LANGUAGE),
    }
    body = await assets.page("not_found.html", values)
    return web.Response(status=404, text=body, content_type="text/html", charset="utf-8")
