"""The slip's status on the kiosk screen in Chromium: the printer is out of paper, the
citizen sees that the slip follows and has everything on the screen; the paper goes in and
the screen says, by itself, that the slip is printing."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from printing.status import Condition
from tests.kiosk.hall_server import HallServer, PrinterStates
from tests.kiosk.kiosk_client import JMBG
from tests.kiosk.kiosk_page import check_screen, on, open_kiosk, read_qr, seq, tap, tap_choice
from tests.kiosk.test_kiosk_accessibility import axe_path, axe_violations

pytestmark = pytest.mark.browser


async def answer(page: Page, text: str) -> None:
    """Typed on a physical keyboard (the touch tests tap the on-screen keys)."""
    before = await seq(page)
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")
    await page.locator(f"body:not([data-seq='{before}']):not(.is-busy)").wait_for()


async def test_a_printer_out_of_paper_is_told_and_its_recovery_too(
    browser: Browser, slip_hall: HallServer, printer_states: PrinterStates
) -> None:
    printer_states.known["file"] = Condition.PAPER_OUT
    axe_path()
    # axe-core is injected as a script of its own, which the kiosk's CSP rightly refuses.
    context, page = await open_kiosk(browser, slip_hall, bypass_csp=True)
    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    for text in ("Милица", "Јовановић", JMBG, "001234567", "0641234567"):
        await answer(page, text)
    await tap_choice(page, "skip")
    await tap_choice(page, "walk_in")
    await on(page, "registration.summary")
    await tap(page, "#choices button[data-id='submit']")
    await on(page, "menu.after")

    note = page.locator("#slip-note")
    await expect(note).to_be_visible()
    await expect(note).to_have_class("slip-note delayed")
    await expect(note).to_contain_text("Штампач тренутно не ради")
    await expect(note).to_contain_text("редни број, шифру пријаве и QR код")
    assert await note.get_attribute("role") == "status"  # read out by a screen reader
    # What the note promises is really on the screen, in full.
    assert await page.locator("#ticket-value").inner_text() == "A001"
    assert await page.locator("#reference-value").is_visible()
    assert (await read_qr(page)).startswith("https://t.me/ecitizen_test_bot?start=")
    await check_screen(page, "16-printer-out-of-paper")
    assert await axe_violations(page) == []  # the warning's colours included
    await page.tap("#high-contrast")
    assert await axe_violations(page) == []
    await page.tap("#high-contrast")

    # The paper goes in: the page notices by itself, and nothing else on it changes.
    printer_states.known["file"] = Condition.ONLINE
    await expect(note).to_have_text("Ваш листић се штампа. Узмите га са штампача.")
    await expect(note).to_have_class("slip-note")
    assert await page.locator("#ticket-value").inner_text() == "A001"
    await page.tap("#done")
    await on(page, "kiosk.language")
    await expect(note).to_be_hidden()
    await expect(note).to_have_text("")
    await context.close()
