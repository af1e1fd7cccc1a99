"""Accessibility: large text and high contrast, the whole path by keyboard alone, and
axe-core finding nothing of moderate impact or worse. (Target sizes, the toggles on every
screen and no scrolling, in every mode, are checked on each screen of the touch tests, see
kiosk_page.check_screen.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from flows.domain.lifecycle import RegistrationStatus
from tests.kiosk.hall_server import AXE, HallServer, in_ci
from tests.kiosk.kiosk_client import JMBG
from tests.kiosk.kiosk_page import (
    MIN_TARGET_PX,
    answer_on_screen,
    check_screen,
    on,
    open_kiosk,
    seq,
    tap_choice,
)

pytestmark = pytest.mark.browser


async def test_large_text_and_high_contrast(browser: Browser, hall: HallServer) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    await on(page, "registration.first_name")
    question = page.locator("#question")
    size = await question.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")

    await page.tap("#large-text")
    assert await page.locator("#large-text").get_attribute("aria-pressed") == "true"
    assert await page.locator("html.large").count() == 1
    bigger = await question.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert bigger >= size * 1.25
    key = await page.locator("#keyboard button.char").first.bounding_box()
    assert key is not None and key["height"] >= MIN_TARGET_PX

    await page.tap("#high-contrast")
    assert await page.locator("#high-contrast").get_attribute("aria-pressed") == "true"
    colours = await page.evaluate(
        """() => [getComputedStyle(document.body).backgroundColor,
                  getComputedStyle(document.getElementById("question")).color]"""
    )
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    await check_screen(page, "14-large-text-high-contrast")
    # The modes stay on through the next screens, and the answer still goes through.
    await answer_on_screen(page, "ana")
    await on(page, "registration.last_name")
    assert await page.locator("html.large.contrast").count() == 1
    # Off again with a second tap.
    await page.tap("#large-text")
    assert await page.locator("html.large").count() == 0
    await context.close()


async def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(60):
        if await target.evaluate("e => e === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def press_enter(page: Page) -> None:
    before = await seq(page)
    await page.keyboard.press("Enter")
    await page.locator(f"body:not([data-seq='{before}']):not(.is-busy)").wait_for()


async def choose_by_keyboard(page: Page, choice_id: str) -> None:
    await tab_to(page, f"#choices button[data-id='{choice_id}']")
    await press_enter(page)


async def type_by_keyboard(page: Page, text: str) -> None:
    await page.keyboard.type(text)
    await press_enter(page)


async def test_the_whole_registration_with_a_keyboard_alone(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await choose_by_keyboard(page, "language.sr-Latn")
    await choose_by_keyboard(page, "menu.register")
    await choose_by_keyboard(page, "ok")
    await choose_by_keyboard(page, "yes")
    await on(page, "registration.first_name")
    await type_by_keyboard(page, "Jovana")  # the answer field has the focus already
    await type_by_keyboard(page, "Jovanović")
    await type_by_keyboard(page, JMBG)
    await type_by_keyboard(page, "001234567")
    await type_by_keyboard(page, "+381 64 123 4567")
    await on(page, "registration.email")
    await type_by_keyboard(page, "jovana@example.com")
    await on(page, "registration.visit_day")  # the hall is the kiosk's own
    await choose_by_keyboard(page, "walk_in")
    await on(page, "registration.summary")
    assert "jovana@example.com" in await page.locator("#prompt").inner_text()
    await choose_by_keyboard(page, "submit")
    await on(page, "menu.after")
    # Without an appointment, at the hall: checked in, and the queue number is on screen.
    assert await page.locator("#ticket-value").inner_text() == "A001"
    ref = await page.locator("#reference-value").inner_text()
    registration = await hall.app.store.get_registration(ref)
    assert registration is not None and registration.email == "jovana@example.com"
    assert registration.status == RegistrationStatus.CHECKED_IN
    # The keyboard user can go on from the result: "Finish" is reachable with Tab.
    await tab_to(page, "#done")
    await context.close()


def axe_path() -> str:
    if not AXE.exists():
        if in_ci():
            pytest.fail("axe-core is required in CI: npm install in tests/kiosk")
        pytest.skip("axe-core is not installed (npm install in tests/kiosk)")
    return str(AXE)


# What axe may find and the test lets pass: only "minor" (it calls a missing landmark, a
# page without a main region, or content outside any landmark "moderate").
FAILING_IMPACTS = ("moderate", "serious", "critical")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it is now, of moderate impact or worse."""
    if await page.evaluate("() => typeof axe === 'undefined'"):
        await page.add_script_tag(path=axe_path())
    found: list[dict[str, Any]] = await page.evaluate(
        """async (impacts) => (await axe.run(document, {resultTypes: ["violations"]}))
            .violations.filter(v => impacts.includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}))""",
        list(FAILING_IMPACTS),
    )
    return found


async def test_axe_finds_nothing_on_the_kiosk(browser: Browser, hall: HallServer) -> None:
    axe_path()
    # axe is injected as a script of its own, which the kiosk's CSP rightly refuses.
    context, page = await open_kiosk(browser, hall, bypass_csp=True)
    report: dict[str, list[dict[str, Any]]] = {}
    report["language"] = await axe_violations(page)
    await tap_choice(page, "language.sr-Cyrl")
    report["menu"] = await axe_violations(page)
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    report["name"] = await axe_violations(page)
    await answer_on_screen(page, "ана")
    await answer_on_screen(page, "анић")
    await answer_on_screen(page, JMBG)
    await answer_on_screen(page, "001234567")
    report["phone"] = await axe_violations(page)
    await answer_on_screen(page, "0641234567")
    await tap_choice(page, "skip")
    await tap_choice(page, "walk_in")
    report["summary"] = await axe_violations(page)
    await tap_choice(page, "submit")
    report["result"] = await axe_violations(page)
    await page.tap("#large-text")
    await page.tap("#high-contrast")
    report["result, large+contrast"] = await axe_violations(page)
    await page.tap("#done")
    await on(page, "kiosk.language")
    await tap_choice(page, "language.sr-Cyrl")
    await page.tap("#large-text")
    await page.tap("#high-contrast")
    report["menu, large+contrast"] = await axe_violations(page)
    await tap_choice(page, "menu.ticket")
    await page.evaluate("() => { document.getElementById('idle').hidden = false; }")
    report["idle warning"] = await axe_violations(page)
    assert {k: v for k, v in report.items() if v} == {}
    await context.close()


async def test_axe_finds_nothing_on_the_other_pages(browser: Browser, hall: HallServer) -> None:
    axe_path()
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    report: dict[str, list[dict[str, Any]]] = {}
    for name, path in [
        ("landing", "/"),
        ("display", "/display/kg"),
        ("web chat", "/chat"),
        ("unknown hall", "/kiosk/nowhere"),
    ]:
        await page.goto(hall.url + path)
        if name == "web chat":
            await page.locator(".msg.bot").first.wait_for()
        report[name] = await axe_violations(page)
    assert {k: v for k, v in report.items() if v} == {}
    await context.close()
