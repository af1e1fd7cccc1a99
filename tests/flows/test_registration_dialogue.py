"""Becoming an eCitizen, as the citizen lives it in the chat."""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from bot.terminal import render_outbound
from ecitizen.app import App
from flows.domain.lifecycle import RegistrationStatus
from tests.dialogue import WORDS, Chat

BELGRADE = ZoneInfo("Europe/Belgrade")
REF = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b")


async def register(ana: Chat, words: dict[str, str], email: str | None = None) -> str:
    """The main path, answer by answer; returns the reference code the citizen is given."""
    await ana.says("/start")
    await ana.picks(words["language"])
    await ana.picks(words["register"])
    assert words["bring"] in ana.text
    await ana.picks(words["continue"])
    assert words["consent"] in ana.text
    await ana.picks(words["yes"])
    assert words["first"] in ana.text.lower()
    await ana.says("ана-марија")
    await ana.says("ПЕТРОВИЋ")
    await ana.says("0512981717776")
    await ana.says("012345678")
    await ana.says("064 123 4567")
    if email:
        await ana.says(email)
    else:
        await ana.picks(words["skip"])
    await ana.picks(words["hall"])
    await ana.picks(words["day"])
    await ana.picks("09:00")
    assert words["summary"] in ana.text
    await ana.picks(words["submit"])
    assert words["done"] in ana.text
    match = REF.search(ana.text)
    assert match, ana.text
    return match.group(0)


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_citizen_registers_in_each_language(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS[language])

    reg = await app.store.get_registration(ref)
    assert reg is not None
    assert reg.status == RegistrationStatus.SUBMITTED
    assert (reg.first_name, reg.last_name) == ("Ана-Марија", "Петровић")
    assert reg.phone == "+381641234567"
    assert reg.id_number == "012345678"
    assert reg.email is None
    assert reg.hall == "kg"
    assert reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Tue 09:00"
    assert reg.language == language


async def test_latin_shows_names_typed_in_cyrillic_in_latin(chat: Callable[..., Chat]) -> None:
    ana = chat("ana")
    await register(ana, WORDS["sr-Latn"])
    summary = next(r for r in ana.replies if r.screen == "registration.summary")
    assert "Ana-Marija" in render_outbound(summary)
    assert "Petrović" in render_outbound(summary)
