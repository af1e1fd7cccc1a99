"""Driving the kiosk page in Chromium the way a person does: taps on a touch screen."""

from __future__ import annotations

import io
import os

import zxingcpp
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page

from tests.kiosk.hall_server import SCREENSHOTS, HallServer

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
MIN_TARGET_PX = 64


async def open_kiosk(
    browser: Browser, hall: HallServer, orientation: str = "portrait", bypass_csp: bool = False
) -> tuple[BrowserContext, Page]:
    width, height = SIZES[orientation]
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        is_mobile=False,
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.on("pageerror", lambda exc: (_ for _ in ()).throw(AssertionError(f"page error: {exc}")))
    await page.goto(f"{hall.url}/kiosk/kg")
    await on(page, "kiosk.language")
    return context, page


async def on(page: Page, screen: str) -> None:
    """Wait until the page shows the named screen."""
    await page.locator(f"body[data-screen='{screen}']").wait_for()


async def expecting(page: Page, expect: str) -> None:
    """Wait until the page asks for this kind of answer (code, phone, name, ...)."""
    await page.locator(f"body[data-expect='{expect}']").wait_for()


async def seq(page: Page) -> str:
    return await page.locator("body").get_attribute("data-seq") or "0"


async def tap(page: Page, selector: str) -> None:
    """Tap something that talks to the server, and wait for the answer to be shown."""
    before = await seq(page)
    await page.tap(selector)
    await page.locator(f"body:not([data-seq='{before}']):not(.is-busy)").wait_for()


async def tap_choice(page: Page, choice_id: str) -> None:
    await tap(page, f"#choices button[data-id='{choice_id}']")


async def type_on_screen(page: Page, text: str) -> None:
    """Tap the letters on the on-screen keyboard (capitals come by themselves in names)."""
    for ch in text:
        if ch == " ":
            await page.tap("#keyboard button.space")
        else:
            await page.tap(f"#keyboard button[data-char='{ch}']")


async def answer_on_screen(page: Page, text: str) -> None:
    await type_on_screen(page, text)
    await tap(page, "#submit")


async def screenshot(page: Page, name: str, orientation: str) -> None:
    """Saved under docs/screenshots/ when ECITIZEN_SCREENSHOTS=1 (so a normal test run does
    not rewrite the documentation's images)."""
    if os.environ.get("ECITIZEN_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{orientation}.png"))


async def read_qr(page: Page, selector: str = "#qr-image") -> str:
    """What a phone reads from the QR code as it is drawn on the screen."""
    png = await page.locator(selector).screenshot()
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert codes, "no QR code readable on screen"
    return str(codes[0].text)


async def page_text(page: Page) -> str:
    """Everything in the DOM, visible or not, with the input's value."""
    html = await page.content()
    value = await page.locator("#answer-input").input_value()
    return html + "\n" + value


# The display modes a person can switch on, as (large text, high contrast).
MODES: dict[str, tuple[bool, bool]] = {
    "normal": (False, False),
    "large text": (True, False),
    "high contrast": (False, True),
    "large text and high contrast": (True, True),
}


async def mode(page: Page) -> tuple[bool, bool]:
    large, contrast = await page.evaluate(
        """() => ["large", "contrast"].map(
            (c) => document.documentElement.classList.contains(c))"""
    )
    return bool(large), bool(contrast)


async def set_mode(page: Page, large: bool, contrast: bool) -> None:
    """Tap the toolbar's switches as a person does; under the idle warning (the page
    behind it takes no taps) the modes are set directly."""
    now = await mode(page)
    if await page.locator("#idle").is_visible():
        await page.evaluate(
            """([large, contrast]) => {
                document.documentElement.classList.toggle("large", large);
                document.documentElement.classList.toggle("contrast", contrast);
                window.dispatchEvent(new Event("resize"));
            }""",
            [large, contrast],
        )
    elif now != (large, contrast):
        # The focus goes back where it was (the answer field): the screenshots show the
        # screen as the person who switched the mode on sees it next.
        await page.evaluate("() => { window.focusedBefore = document.activeElement; }")
        if now[0] != large:
            await page.tap("#large-text")
        if now[1] != contrast:
            await page.tap("#high-contrast")
        await page.evaluate("() => window.focusedBefore && window.focusedBefore.focus()")
    await settle(page)


async def settle(page: Page) -> None:
    """Wait until the page has drawn itself again (after a resize or a switch)."""
    await page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


async def layout_problems(page: Page) -> list[str]:
    """What a person would trip over on the screen as it is now: something to scroll,
    something cut off or outside the screen, a target under 64 px either way."""
    found: list[str] = await page.evaluate(
        """(min) => {
            const problems = [];
            const root = document.documentElement;
            const shown = (e) => {
                if (e.closest("[hidden]")) return false;
                const r = e.getBoundingClientRect();
                // (1 px: for screen readers only, see .visually-hidden)
                return r.width > 1 && r.height > 1 &&
                    getComputedStyle(e).visibility !== "hidden";
            };
            const name = (e) => (e.id ? "#" + e.id : e.tagName.toLowerCase()) +
                (e.textContent ? " '" + e.textContent.trim().slice(0, 30) + "'" : "");
            const scroll = [root.scrollHeight - innerHeight, root.scrollWidth - innerWidth];
            if (Math.max(...scroll) > 1) problems.push("the page scrolls by " + scroll);
            for (const box of document.querySelectorAll("main, #keyboard, .dialog")) {
                if (!shown(box)) continue;
                const over = [box.scrollHeight - box.clientHeight,
                              box.scrollWidth - box.clientWidth];
                if (Math.max(...over) > 1) problems.push(name(box) + " overflows by " + over);
            }
            const modal = !document.getElementById("idle").hidden;
            const scope = modal ? document.getElementById("idle") : document.getElementById("app");
            for (const e of scope.querySelectorAll("*")) {
                if (!shown(e)) continue;
                const r = e.getBoundingClientRect();
                if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 ||
                    r.bottom > innerHeight + 1) {
                    problems.push(name(e) + " is outside the screen");
                } else if (getComputedStyle(e).display !== "inline" &&
                           (e.scrollWidth > e.clientWidth + 1 ||
                            e.scrollHeight > e.clientHeight + 1)) {
                    // Spilling over its box: cut off, or over what is next to it.
                    problems.push(name(e) + " is too small for what it holds");
                }
            }
            for (const e of scope.querySelectorAll("button, input")) {
                if (!shown(e)) continue;
                const r = e.getBoundingClientRect();
                if (Math.min(r.width, r.height) < min) {
                    problems.push(name(e) + " is " + Math.round(r.width) + "x" +
                                  Math.round(r.height) + " px");
                }
            }
            if (!modal && !["large-text", "high-contrast"].every(
                    (id) => shown(document.getElementById(id)))) {
                problems.push("the large text or high contrast switch is missing");
            }
            return problems;
        }""",
        MIN_TARGET_PX,
    )
    return found


async def assert_fits(page: Page, name: str) -> None:
    """The screen in both orientations and every mode: nothing to scroll, nothing cut off,
    targets of 64 px and more either way. The mode the test chose is kept."""
    chosen = await mode(page)
    problems: list[str] = []
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        for mode_name, (large, contrast) in MODES.items():
            await set_mode(page, large, contrast)
            where = f"{name} ({orientation}, {mode_name})"
            problems += [f"{where}: {p}" for p in (await layout_problems(page))[:5]]
    await set_mode(page, *chosen)
    width, height = SIZES["portrait"]
    await page.set_viewport_size({"width": width, "height": height})
    await settle(page)
    assert not problems, "\n".join(problems)


async def check_screen(page: Page, name: str) -> None:
    """assert_fits, and the screenshots for docs/screenshots/ (when asked for)."""
    await assert_fits(page, name)
    await screenshots_both(page, name)


async def screenshots_both(page: Page, name: str) -> None:
    """Only the screenshots (when asked for), for screens that do not wait long."""
    if os.environ.get("ECITIZEN_SCREENSHOTS") != "1":
        return
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        await settle(page)
        await screenshot(page, name, orientation)
    width, height = SIZES["portrait"]
    await page.set_viewport_size({"width": width, "height": height})
    await settle(page)
