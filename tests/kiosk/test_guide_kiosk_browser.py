"""The guide at the kiosk, by touch: the topics, a keyboard to type a question, and what
is found, each screen without scrolling."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_page import check_screen, on, open_kiosk, tap, tap_choice, type_on_screen

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "typed", "found"),
    [
        ("sr-Cyrl", "вртић", "вртић"),
        ("sr-Latn", "vrtic", "vrtić"),  # no diacritics typed: found all the same
        ("en", "kindergarten", "Kindergarten"),
    ],
)
async def test_the_guide_at_the_kiosk_finds_a_typed_question(
    browser: Browser, hall: HallServer, language: str, typed: str, found: str
) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, f"language.{language}")
    await on(page, "menu")
    await tap_choice(page, "menu.guide")
    await on(page, "guide.category")
    await check_screen(page, "20-guide-topics")
    await tap_choice(page, "child")
    await on(page, "guide.procedure")
    await check_screen(page, "23-guide-procedures")  # a long topic, paged
    await tap_choice(page, "back")
    await on(page, "guide.category")
    await tap_choice(page, "type_words")
    await on(page, "guide.guide_query")
    await check_screen(page, "21-guide-type")  # the keyboard, to type the question
    await type_on_screen(page, typed)
    await tap(page, "#submit")
    await on(page, "guide.results")
    await check_screen(page, "22-guide-found")
    first = page.locator("#choices button").first
    assert found in (await first.inner_text())
    await tap(page, "#choices button >> nth=0")
    await on(page, "guide.detail")
    await check_screen(page, "24-guide-procedure")  # what it is, and "Become an eCitizen"
    assert await page.locator("#choices button[data-id='cmd:become']").count() == 1
    await context.close()
