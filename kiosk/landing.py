"""GET / : where a newcomer finds each hall's kiosk and display, and the web chat."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from aiohttp import web

from flows.domain.halls import Hall
from flows.engine.i18n import normalize_language, text
from flows.engine.messages import DEFAULT_LANGUAGE, LANGUAGES
from kiosk.pages import hall_name
from kiosk.screens import LANGUAGE_NAMES


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def landing_html(halls: Iterable[Hall], language: str, chat_path: str = "/chat") -> str:
    def t(key: str) -> str:
        return _e(text(key, language))

    rows = []
    for hall in halls:
        q = "" if language == DEFAULT_LANGUAGE else f"?lang={language}"
        rows.append(
            f'<li><span class="hall-name">{_e(hall_name(hall, language))}</span>'
            f'<a class="link" href="/kiosk/{_e(hall.code)}">{t("landing.kiosk")}</a>'
            f'<a class="link" href="/display/{_e(hall.code)}{q}">{t("landing.display")}</a></li>'
        )
    switch = "".join(
        f'<a lang="{lang}" href="/?lang={lang}"'
        + (' aria-current="page"' if lang == language else "")
        + f">{_e(LANGUAGE_NAMES[lang])}</a>"
        for lang in LANGUAGES
    )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{t('landing.title')}</title>"
        '<link rel="stylesheet" href="/static/kiosk/landing.css"></head><body>'
        f'<main class="page"><nav class="langs" aria-label="{t("landing.languages")}">'
        f"{switch}</nav>"
        f"<h1>{t('landing.title')}</h1><p>{t('landing.intro')}</p>"
        f'<h2>{t("landing.halls")}</h2><ul class="halls">{"".join(rows)}</ul>'
        f"<h2>{t('landing.webchat')}</h2><p>{t('landing.webchat.intro')}</p>"
        f'<p><a class="link" href="{_e(chat_path)}">{t("landing.webchat")}</a></p>'
        "</main></body></html>"
    )


def landing_routes(halls: Mapping[str, Hall] | Iterable[Hall]) -> list[web.RouteDef]:
    """GET / with a link to the kiosk and the display of every hall and to the web chat.

    The stylesheet comes from /static/kiosk/, mounted by add_kiosk_routes or
    add_display_routes (or kiosk.assets.static_assets(app))."""
    known = list(halls.values()) if isinstance(halls, Mapping) else list(halls)

    async def landing(request: web.Request) -> web.Response:
        language = normalize_language(request.query.get("lang"))
        body = landing_html(known, language)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    return [web.get("/", landing)]
