"""The visit times in the web chat: eight at a time, the page turns on a line of their own."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.bot.test_webchat_browser import bot_says, pick, type_answer
from tests.kiosk.fixtures import browser, hall
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import JMBG

__all__ = ["browser", "hall"]

pytestmark = pytest.mark.browser


async def offered(page: Page, where: str) -> list[str]:
    return await page.locator(f".msg.bot:last-child {where} button").all_inner_texts()


async def test_the_times_come_eight_at_a_time_and_turn_pages(
    browser: Browser, hall: HallServer
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{hall.url}/chat")
    await bot_says(page, "Choose your language.")
    await pick(page, "lang:en")
    await pick(page, "menu.register")
    await pick(page, "ok")
    await pick(page, "yes")
    for answer in ("Milica", "Milić", JMBG, "001234567", "0641234567", "milica@example.com"):
        await type_answer(page, answer)
    await pick(page, "kg")
    await pick(page, "2026-12-01")  # Tuesday: every time of the day is free
    await bot_says(page, "At what time?")
    assert await offered(page, ".choices:not(.page-turns)") == [
        "08:00", "08:20", "08:40", "09:00", "09:20", "09:40", "10:00", "10:20",
    ]  # fmt: skip
    assert await offered(page, ".page-turns") == ["Later ▶"]

    later = page.locator(".msg.bot:last-child .page-turns button")
    count = await page.locator(".msg.bot").count()
    await later.tap()
    await expect(page.locator(".msg.bot")).to_have_count(count + 1)
    await bot_says(page, "from 10:40 to 13:00")
    assert (await offered(page, ".choices:not(.page-turns)"))[0] == "10:40"
    assert await offered(page, ".page-turns") == ["◀ Earlier", "Later ▶"]

    await pick(page, "2026-12-01T12:20:00+01:00")
    await bot_says(page, "Your registration")
    await bot_says(page, "12:20")
    await context.close()
