"""Fixtures for the hall's tests (kiosk, display, web chat): a running hall server on the
real app, and Debian's Chromium driven by Playwright. Imported by tests/kiosk/conftest.py
and by the web chat tests under tests/bot/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from kiosk.settings import KioskSettings
from tests.kiosk.hall_server import (
    CHROMIUM_ARGS,
    HallServer,
    PrinterStates,
    chromium_path,
    start_hall_server,
)

# A Telegram bot name, so the engine puts a deep link (shown as a QR) on the result screens.
BOT = {"telegram": {"bot_username": "ecitizen_test_bot"}}


@pytest.fixture
async def hall(make_app: Callable[..., Any]) -> AsyncIterator[HallServer]:
    server = await start_hall_server(await make_app(**BOT))
    yield server
    await server.close()


@pytest.fixture
async def quick_hall(make_app: Callable[..., Any]) -> AsyncIterator[HallServer]:
    """Idle warning after 2 s, wipe 2 s later: for the privacy tests."""
    quick = KioskSettings(idle_seconds=2.0, idle_warning_seconds=2.0)
    server = await start_hall_server(await make_app(**BOT), quick)
    yield server
    await server.close()


@pytest.fixture
def printer_states() -> PrinterStates:
    return PrinterStates()


@pytest.fixture
async def slip_hall(
    make_app: Callable[..., Any], printer_states: PrinterStates
) -> AsyncIterator[HallServer]:
    """The kiosk learns its printer's condition from the test (printer_states); a page
    showing a slip's status asks again every half second."""
    app = await make_app(**BOT)
    server = await start_hall_server(
        app, KioskSettings(slip_refresh_seconds=0.5), printer_ready=printer_states
    )
    yield server
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        await b.close()
