"""The ConsentID guide at the kiosk, by touch: each screen fits without scrolling, the
store's QR code reads on screen, and asking the officer works."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from flows.domain.refcode import new_ref
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_page import (
    answer_on_screen,
    check_screen,
    on,
    open_kiosk,
    read_qr,
    tap_choice,
)

pytestmark = pytest.mark.browser


async def approved_ref(hall: HallServer) -> str:
    def chat(user: str, channel: str = "terminal") -> Chat:
        return Chat(hall.app, user, channel)

    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(hall.app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одобри")
    await mira.picks("Да")
    return ref


async def test_the_consentid_guide_at_the_kiosk(browser: Browser, hall: HallServer) -> None:
    ref = await approved_ref(hall)
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.sr-Cyrl")
    await on(page, "menu")
    await tap_choice(page, "menu.consentid")
    await on(page, "activation.activation_ref")
    await answer_on_screen(page, ref.replace("-", ""))
    await on(page, "activation.phone_kind")
    await check_screen(page, "30-consentid-phone")
    await tap_choice(page, "android")
    await on(page, "activation.install")
    await check_screen(page, "31-consentid-install")
    assert "play.google.com" in await read_qr(page)  # the phone's camera opens the store
    for _ in range(3):
        await tap_choice(page, "done")
    await on(page, "activation.activate")
    await check_screen(page, "32-consentid-activate")
    await tap_choice(page, "trouble")
    await on(page, "activation.problems")
    await check_screen(page, "33-consentid-problems")
    await tap_choice(page, "qr_not_scanning")
    await on(page, "activation.advice")
    await check_screen(page, "34-consentid-advice")
    await tap_choice(page, "still_stuck")
    await on(page, "activation.help")
    await check_screen(page, "35-consentid-help")
    await tap_choice(page, "ask_officer")
    await on(page, "activation.activate")
    assert "Јавили смо службенику Мира" in await page.locator("#screen").inner_text()
    await context.close()


async def test_a_mistyped_code_stays_on_screen_to_be_corrected(
    browser: Browser, hall: HallServer
) -> None:
    ref = await approved_ref(hall)
    mistyped = new_ref()  # a code of the right shape that nobody has
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.consentid")
    await on(page, "activation.activation_ref")
    await answer_on_screen(page, mistyped.replace("-", ""))
    await on(page, "activation.activation_ref")  # the same question, not the menu
    assert "cannot find" in await page.locator("#prompt").inner_text()
    assert await page.locator("#answer-input").input_value() == mistyped.replace("-", "")
    await page.fill("#answer-input", "")
    await answer_on_screen(page, ref.replace("-", ""))
    await on(page, "activation.phone_kind")
    await context.close()
