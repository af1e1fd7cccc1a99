"""The kiosk in Chromium with both messengers configured: the end screen shows a code to
continue in Telegram and one to continue in Viber, each saying which it opens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from playwright.async_api import Browser

from tests.conftest import Clock
from tests.kiosk.fixtures import browser
from tests.kiosk.hall_server import HallServer, start_hall_server
from tests.kiosk.kiosk_page import expecting, on, open_kiosk, read_qr, tap_choice
from tests.kiosk.test_kiosk_browser import register_for_tomorrow

pytestmark = pytest.mark.browser
__all__ = ["browser"]


@pytest.fixture
async def both_hall(make_app: Callable[..., Any]) -> AsyncIterator[HallServer]:
    app = await make_app(
        telegram={"bot_username": "ecitizen_test_bot"}, viber={"uri": "ecitizen-test"}
    )
    server = await start_hall_server(app)
    yield server
    await server.close()


async def test_the_kiosk_offers_telegram_and_viber_each_with_its_own_code(
    browser: Browser, both_hall: HallServer, clock: Clock
) -> None:
    ref = await register_for_tomorrow(both_hall)
    clock.advance(days=1)  # the day of the visit: she checks in at the kiosk
    context, page = await open_kiosk(browser, both_hall)
    await tap_choice(page, "language.sr-Cyrl")
    await tap_choice(page, "menu.checkin")
    await expecting(page, "code")
    await page.keyboard.type(ref)
    await page.keyboard.press("Enter")
    await on(page, "menu.after")

    telegram = await read_qr(page)
    viber = await read_qr(page, "#qr-viber-image")
    assert telegram.startswith("https://t.me/ecitizen_test_bot?start=")
    payload = telegram.split("start=", 1)[1]
    assert viber == f"viber://pa?chatURI=ecitizen-test&context={payload}"
    assert "Телеграму" in await page.locator("#qr-caption").inner_text()
    assert "Вајберу" in await page.locator("#qr-viber-caption").inner_text()
    assert "Вајберу" in (await page.locator("#qr-viber-image").get_attribute("alt") or "")
    await context.close()


@pytest.fixture
async def viber_hall(make_app: Callable[..., Any]) -> AsyncIterator[HallServer]:
    server = await start_hall_server(await make_app(viber={"uri": "ecitizen-test"}))
    yield server
    await server.close()


async def test_with_viber_alone_the_one_code_says_it_opens_viber(
    browser: Browser, viber_hall: HallServer, clock: Clock
) -> None:
    ref = await register_for_tomorrow(viber_hall)
    clock.advance(days=1)
    context, page = await open_kiosk(browser, viber_hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.checkin")
    await expecting(page, "code")
    await page.keyboard.type(ref)
    await page.keyboard.press("Enter")
    await on(page, "menu.after")

    assert (await read_qr(page)).startswith("viber://pa?chatURI=ecitizen-test&context=")
    assert "in Viber" in await page.locator("#qr-caption").inner_text()
    assert await page.locator("#result-qr-viber").is_hidden()
    await context.close()
