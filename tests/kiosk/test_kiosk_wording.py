"""The kiosk speaks of what a touch screen has: an answer that is none of the buttons (a
scanner or a keyboard typing at a choice) is asked to tap one of them, never to "type its
number" (there is nothing to type at a choice)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import KioskClient

SAYS = {
    "sr-Cyrl": ("Додирните једно од дугмади на екрану.", "упишете"),
    "sr-Latn": ("Dodirnite jedno od dugmadi na ekranu.", "upišete"),
    "en": ("Please tap one of the buttons on the screen.", "type"),
}


@pytest.fixture
async def kiosk(hall: HallServer) -> AsyncIterator[KioskClient]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield KioskClient(http, f"{hall.url}/kiosk/kg")


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_wrong_answer_at_a_choice_is_asked_to_tap_a_button_not_to_type(
    kiosk: KioskClient, language: str
) -> None:
    tap_a_button, typing = SAYS[language]
    await kiosk.state()
    await kiosk.send(command="language", payload=language)
    await kiosk.choose("menu.ticket")
    assert kiosk.screen["name"] == "ticket.service"
    await kiosk.send(text="K7M4-PX9N")  # a code scanned at the wrong screen
    assert kiosk.screen["name"] == "ticket.service"  # asked again
    assert tap_a_button in kiosk.text
    assert typing not in kiosk.text.lower()
