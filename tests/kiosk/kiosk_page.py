"""Driving the kiosk page in Chromium the way a person does: taps on a touch screen."""

from __future__ import annotations

import io
import os
from typing import Any

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


async def assert_touch_friendly(page: Page, where: str) -> None:
    """Targets at least 64 px high, the display toggles there, nothing to scroll."""
    found: dict[str, Any] = await page.evaluate(
        """(min) => {
            const shown = (e) =>
                e.offsetParent !== null || getComputedStyle(e).position === "fixed";
            const buttons = Array.from(document.querySelectorAll("button")).filter(shown);
            const main = document.getElementById("screen");
            return {
                small: buttons.map((b) => [b.textContent, b.getBoundingClientRect().height])
                    .filter(([, h]) => h < min),
                toggles: ["large-text", "high-contrast"].every(
                    (id) => shown(document.getElementById(id))),
                overflow: [document.documentElement.scrollHeight - innerHeight,
                           main.scrollHeight - main.clientHeight],
            };
        }""",
        MIN_TARGET_PX,
    )
    assert not found["small"], f"{where}: targets under {MIN_TARGET_PX} px: {found['small']}"
    assert found["toggles"], f"{where}: the large text or high contrast switch is missing"
    assert max(found["overflow"]) <= 1, f"{where}: has to scroll by {found['overflow']} px"


async def check_screen(page: Page, name: str) -> None:
    """The screen in both orientations: touch-friendly, no scrolling; a screenshot each."""
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        await assert_touch_friendly(page, f"{name} ({orientation})")
        await screenshot(page, name, orientation)
    width, height = SIZES["portrait"]
    await page.set_viewport_size({"width": width, "height": height})


async def screenshots_both(page: Page, name: str) -> None:
    """Only the screenshots (when asked for), for screens that do not wait long."""
    if os.environ.get("ECITIZEN_SCREENSHOTS") != "1":
        return
    for orientation, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        await screenshot(page, name, orientation)
    width, height = SIZES["portrait"]
    await page.set_viewport_size({"width": width, "height": height})
