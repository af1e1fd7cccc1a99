"""The kiosk's screens as a person with weak eyesight or shaky hands meets them: every
screen fits without scrolling in every mode and orientation, the result stands on a calm
screen of its own, the summary's main action stands out, the keyboard uses the screen.

(The screens of the touch tests are checked the same way, see kiosk_page.check_screen;
here are the screens those tests pass by.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from printing.status import Condition
from tests.kiosk.hall_server import HallServer, PrinterStates
from tests.kiosk.kiosk_client import JMBG
from tests.kiosk.kiosk_page import (
    MIN_TARGET_PX,
    MODES,
    SIZES,
    answer_on_screen,
    assert_fits,
    expecting,
    on,
    open_kiosk,
    set_mode,
    settle,
    tap_choice,
)

pytestmark = pytest.mark.browser


async def to_summary(page: Page, language: str = "sr-Cyrl") -> None:
    await tap_choice(page, f"language.{language}")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    for text in ("ана", "анић", JMBG, "001234567", "0641234567"):
        await answer_on_screen(page, text)
    await tap_choice(page, "skip")
    await tap_choice(page, "walk_in")
    await on(page, "registration.summary")


async def test_the_screens_between_fit_in_every_mode(
    browser: Browser, slip_hall: HallServer, printer_states: PrinterStates
) -> None:
    """Item by item of a registration in English (the longest words), a refused answer,
    the guide, and a result while the printer is out of paper (the longest note)."""
    printer_states.known["file"] = Condition.PAPER_OUT
    context, page = await open_kiosk(browser, slip_hall)
    await tap_choice(page, "language.en")
    await assert_fits(page, "menu (English)")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await assert_fits(page, "consent")
    await tap_choice(page, "yes")
    await assert_fits(page, "first name")
    await page.tap("#keyboard button[data-layout='digits']")
    await assert_fits(page, "first name, digits")
    await page.tap("#keyboard button[data-layout='qwerty']")
    await answer_on_screen(page, "ana")
    await answer_on_screen(page, "anic")
    await expecting(page, "digits")
    await answer_on_screen(page, "1234567890123")  # refused: the reason and the answer stay
    assert await page.locator("#answer-input").input_value() == "1234567890123"
    await assert_fits(page, "JMBG refused")
    await answer_on_screen(page, JMBG)
    await assert_fits(page, "ID card number")
    await answer_on_screen(page, "001234567")
    await answer_on_screen(page, "0641234567")
    await tap_choice(page, "skip")
    await on(page, "registration.visit_day")
    await assert_fits(page, "visit day")
    await tap_choice(page, "walk_in")
    await on(page, "registration.summary")
    await assert_fits(page, "summary (English)")
    await tap_choice(page, "submit")
    await on(page, "menu.after")
    await assert_fits(page, "result, printer out of paper (English)")
    await page.tap("#done")
    await on(page, "kiosk.language")

    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.guide")
    await assert_fits(page, "guide topics")
    await tap_choice(page, "documents")
    await assert_fits(page, "guide procedures")
    await tap_choice(page, "passport")
    await assert_fits(page, "guide procedure")
    await tap_choice(page, "topics")  # at the kiosk, "Finish" is the way out (always there)
    await assert_fits(page, "back to the topics")
    await context.close()


async def test_the_idle_warning_fits_in_every_mode(
    browser: Browser, quick_hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, quick_hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.ticket")
    await page.get_by_role("alertdialog").wait_for()
    await assert_fits(page, "idle warning")
    await context.close()


async def box(page: Page, selector: str) -> dict[str, float]:
    found = await page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not on the screen"
    return dict(found)


async def font_px(page: Page, selector: str) -> float:
    size = await page.locator(selector).first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    return float(size)


async def shown_buttons(page: Page, within: str) -> list[str]:
    found: list[str] = await page.evaluate(
        """(within) => Array.from(document.querySelectorAll(within + " button"))
            .filter((b) => b.getClientRects().length > 0)
            .map((b) => b.textContent.trim())""",
        within,
    )
    return found


async def test_the_result_is_a_calm_screen_of_its_own(browser: Browser, hall: HallServer) -> None:
    context, page = await open_kiosk(browser, hall)
    await to_summary(page)
    await tap_choice(page, "submit")
    await on(page, "menu.after")
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        for mode_name, (large, contrast) in MODES.items():
            await set_mode(page, large, contrast)
            where = f"{orientation}, {mode_name}"
            # One button on the screen: "Finish"; no menu, no "What would you like to do?"
            assert await shown_buttons(page, "#app main") == ["Заврши"], where
            assert await page.locator("#footer").is_hidden(), where
            text = await page.locator("#app main").inner_text()
            assert "Шта желите да урадите?" not in text, where
            assert "Постани еГрађанин" not in text, where
            # The ticket number largest, then the reference code, then what to do next.
            ticket, code = await box(page, "#ticket-value"), await box(page, "#reference-value")
            words = await box(page, "#paragraphs")
            assert ticket["y"] + ticket["height"] <= code["y"], where
            assert (
                code["y"] + code["height"] <= words["y"] or code["x"] + code["width"] <= words["x"]
            ), where
            sizes = [await font_px(page, s) for s in ("#ticket-value", "#reference-value")]
            text_size = await font_px(page, "#paragraphs p")
            assert sizes[0] > sizes[1] > text_size, (where, sizes, text_size)
            # Its two boxes are aligned with each other.
            boxes = [await box(page, s) for s in ("#result-ticket", "#result-reference")]
            assert abs(boxes[0]["x"] - boxes[1]["x"]) <= 1, (where, boxes)
            assert abs(boxes[0]["width"] - boxes[1]["width"]) <= 1, (where, boxes)
    await set_mode(page, False, False)
    await page.set_viewport_size(dict(zip(("width", "height"), SIZES["portrait"], strict=True)))
    await settle(page)
    # A screen reader hears the ticket first, as the page's heading.
    heading = page.get_by_role("heading", level=1)
    assert "A001" in await heading.inner_text()
    # After "Finish", the kiosk starts over for the next person, on to the menu.
    await page.tap("#done")
    await on(page, "kiosk.language")
    await tap_choice(page, "language.sr-Cyrl")
    await on(page, "menu")
    await context.close()


async def test_the_result_stays_until_the_idle_time_then_the_kiosk_starts_over(
    browser: Browser, quick_hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, quick_hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.ticket")
    await tap_choice(page, "A")
    await on(page, "menu.after")
    assert await page.locator("#ticket-value").inner_text() == "A001"
    await page.get_by_role("alertdialog").wait_for()  # nobody touched it for a while
    await on(page, "kiosk.language")
    assert "A001" not in await page.locator("#app").inner_text()
    await tap_choice(page, "language.en")
    await on(page, "menu")
    await context.close()


async def test_a_result_without_a_queue_number_leads_with_the_code(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    for text in ("ana", "anic", JMBG, "001234567", "0641234567"):
        await answer_on_screen(page, text)
    await tap_choice(page, "skip")
    await tap_choice(page, "2026-12-01")
    await tap_choice(page, "2026-12-01T09:00:00+01:00")
    await tap_choice(page, "submit")
    await on(page, "menu.after")
    assert await page.locator("#result-ticket").is_hidden()
    ref = await page.locator("#reference-value").inner_text()
    assert ref in await page.get_by_role("heading", level=1).inner_text()
    assert await shown_buttons(page, "#app main") == ["Finish"]
    await assert_fits(page, "result for tomorrow")
    await context.close()


async def test_the_summary_puts_submit_first_and_the_changes_below(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await to_summary(page)
    submit = "#choices button[data-id='submit']"
    changes = page.locator("[role='group'] button[data-id^='edit_']")
    assert await changes.count() == 8
    group = page.get_by_role("group", name="Да нешто исправите")
    assert await group.locator("button").count() == 8
    # The change of the hall says hall (шалтерска сала), not counter (шалтер).
    labels = await changes.all_inner_texts()
    assert "Промени шалтерску салу" in labels and "Промени шалтер" not in labels
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        for mode_name, (large, contrast) in MODES.items():
            await set_mode(page, large, contrast)
            where = f"{orientation}, {mode_name}"
            main = await box(page, submit)
            looks: list[Any] = await page.evaluate(
                """(submit) => [document.querySelector(submit), ...document.querySelectorAll(
                        "button[data-id^='edit_']")].map((b) => {
                    const s = getComputedStyle(b);
                    return [s.backgroundColor, parseFloat(s.fontSize)];
                })""",
                submit,
            )
            (submit_bg, submit_size), *rest = looks
            assert all(bg != submit_bg for bg, _ in rest), (where, looks)
            assert all(submit_size >= size for _, size in rest), (where, looks)
            for i in range(8):
                other = await box(page, f"button[data-id^='edit_'] >> nth={i}")
                # Below the main action, and none of them bigger than it.
                assert other["y"] >= main["y"] + main["height"], where
                assert other["height"] <= main["height"] + 1, where
                assert other["width"] <= main["width"] + 1, where
    await context.close()


async def keyboard_gap(page: Page) -> dict[str, float]:
    """How much of the screen's middle is left empty under the keyboard."""
    gap: dict[str, float] = await page.evaluate(
        """() => {
            const main = document.getElementById("screen").getBoundingClientRect();
            const keys = document.getElementById("keyboard").getBoundingClientRect();
            return {empty: main.bottom - keys.bottom, main: main.height,
                    key: document.querySelector("#keyboard .key.char")
                        .getBoundingClientRect().height};
        }"""
    )
    return gap


@pytest.mark.parametrize("step", ["name", "phone"])
async def test_the_keyboard_uses_a_portrait_screen(
    browser: Browser, hall: HallServer, step: str
) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    if step == "phone":
        for text in ("ана", "анић", JMBG, "001234567"):
            await answer_on_screen(page, text)
        await on(page, "registration.phone")
    for mode_name, (large, contrast) in MODES.items():
        await set_mode(page, large, contrast)
        gap = await keyboard_gap(page)
        # Bigger keys for shaky hands where the screen has room: no empty half-screen.
        assert gap["empty"] <= 0.1 * gap["main"], (mode_name, gap)
        assert gap["key"] >= 2 * MIN_TARGET_PX, (mode_name, gap)
    await context.close()
