"""The visit times at the kiosk, by touch: eight times in two rows, the page turns in a row
of their own under them, every target big enough and nothing to scroll, in every mode."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import JMBG
from tests.kiosk.kiosk_page import (
    answer_on_screen,
    check_screen,
    on,
    open_kiosk,
    tap,
    tap_choice,
)

pytestmark = pytest.mark.browser

TOMORROW = "2026-12-01"


async def layout(page: Page) -> list[list[str]]:
    """The choices as the eye reads them: the button labels, row by row, top to bottom."""
    boxes: list[tuple[float, float, str]] = await page.evaluate(
        """() => Array.from(document.querySelectorAll("#choices button")).map((b) => {
            const r = b.getBoundingClientRect();
            return [Math.round(r.top), Math.round(r.left), b.textContent];
        })"""
    )
    rows: dict[float, list[tuple[float, str]]] = {}
    for top, left, label in boxes:
        rows.setdefault(top, []).append((left, label))
    return [[label for _, label in sorted(row)] for _, row in sorted(rows.items())]


async def test_the_times_come_a_page_at_a_time_with_the_page_turns_below(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    for answer in ("петар", "петровић", JMBG, "001234567", "0641234567"):
        await answer_on_screen(page, answer)
    await tap_choice(page, "skip")
    await tap_choice(page, TOMORROW)  # Tuesday: every time of the day is free
    await on(page, "registration.visit_time")
    assert await layout(page) == [
        ["08:00", "08:20", "08:40", "09:00"],
        ["09:20", "09:40", "10:00", "10:20"],
        ["Касније ▶"],
    ]
    await check_screen(page, "07b-visit-time-pages")

    await tap(page, "#choices button.page")
    assert await layout(page) == [
        ["10:40", "11:00", "11:20", "11:40"],
        ["12:00", "12:20", "12:40", "13:00"],
        ["◀ Раније", "Касније ▶"],
    ]
    assert await page.locator("#choices .page-turns button").count() == 2  # a row of their own
    assert "од 10:40 до 13:00" in await page.locator("#prompt").inner_text()
    for mode in ("#large-text", "#high-contrast"):
        await page.tap(mode)
    await check_screen(page, "07c-visit-time-pages-large")

    await tap_choice(page, "2026-12-01T12:20:00+01:00")
    await on(page, "registration.summary")
    assert "12:20" in await page.locator("#prompt").inner_text()
    await context.close()
