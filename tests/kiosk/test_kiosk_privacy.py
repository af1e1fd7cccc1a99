"""Privacy on a shared screen: the idle warning, the wipe, "Finish"; nothing of a citizen
is left in the page, the browser's storage, or the server's conversation afterwards."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from kiosk.sessions import conversation_key
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_page import (
    answer_on_screen,
    assert_fits,
    on,
    open_kiosk,
    page_text,
    screenshots_both,
    tap,
    tap_choice,
    type_on_screen,
)

pytestmark = pytest.mark.browser

NAME = "Драгослава"


async def session_token(context: BrowserContext) -> str:
    [cookie] = [c for c in await context.cookies() if c["name"] == "kiosk_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    return cookie["value"]


async def start_registration(page: Page) -> None:
    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    await answer_on_screen(page, NAME.lower())
    await on(page, "registration.last_name")
    await type_on_screen(page, "мар")  # typed, not yet sent


async def assert_nothing_left(page: Page, context: BrowserContext, hall: HallServer) -> None:
    text = await page_text(page)
    assert NAME not in text and "Мар" not in text and "мар" not in text
    assert await page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert await page.evaluate("() => document.cookie") == ""  # HttpOnly: not even visible
    assert page.url == f"{hall.url}/kiosk/kg"  # nothing in the address either


async def test_after_the_idle_time_everything_is_wiped(
    browser: Browser, quick_hall: HallServer
) -> None:
    hall = quick_hall
    context, page = await open_kiosk(browser, hall)
    await start_registration(page)
    token = await session_token(context)
    key = conversation_key("kg", token)
    conversation = await hall.app.store.load_conversation(key)
    assert conversation is not None and conversation.slots["first_name"] == NAME

    warning = page.get_by_role("alertdialog")
    await warning.wait_for()
    assert "Да ли сте још ту?" in await warning.inner_text()
    await screenshots_both(page, "15-idle-warning")
    assert await page.locator("#idle-stay").is_visible()
    await on(page, "kiosk.language")  # the countdown ran out
    await page.locator("#idle").wait_for(state="hidden")

    await assert_nothing_left(page, context, hall)
    assert await hall.app.store.load_conversation(key) is None
    assert await session_token(context) != token  # the next person is someone else
    assert await hall.app.store.registrations_at("kg", []) == []
    await context.close()


async def test_i_am_still_here_keeps_what_was_typed(
    browser: Browser, quick_hall: HallServer
) -> None:
    hall = quick_hall
    context, page = await open_kiosk(browser, hall)
    await start_registration(page)
    await page.get_by_role("alertdialog").wait_for()
    await page.tap("#idle-stay")
    await page.locator("#idle").wait_for(state="hidden")
    assert await page.locator("#answer-input").input_value() == "Мар"
    await type_on_screen(page, "ковић")
    await tap(page, "#submit")
    await on(page, "registration.jmbg")
    await context.close()


async def test_finish_wipes_at_once(browser: Browser, hall: HallServer) -> None:
    context, page = await open_kiosk(browser, hall)
    await start_registration(page)
    key = conversation_key("kg", await session_token(context))
    await page.tap("#finish")
    await on(page, "kiosk.language")
    await assert_nothing_left(page, context, hall)
    assert await hall.app.store.load_conversation(key) is None
    # The end of a flow: "Finish" under the result wipes the same way.
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.ticket")
    await tap_choice(page, "A")
    await on(page, "menu.after")
    await page.tap("#done")
    await on(page, "kiosk.language")
    assert "A001" not in await page_text(page)
    await context.close()


async def test_the_goodbye_is_said_in_every_language_like_the_question_under_it(
    browser: Browser, hall: HallServer
) -> None:
    """The person who finished in English reads that their data is erased in English; the
    screen that follows is the next person's, so it says it in all three."""
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.register")
    await page.tap("#finish")
    await on(page, "kiosk.language")
    notice = await page.locator("#notice").inner_text()
    assert "Your data has been erased" in notice
    assert "Ваши подаци су обрисани" in notice and "Vaši podaci su obrisani" in notice
    await assert_fits(page, "the language screen after a wipe")
    await context.close()
