"""A whole hall server for the kiosk tests: the real app (engine, SQLite store, outbox
worker) behind a real aiohttp server on 127.0.0.1, with the kiosk, the display, the landing
page and the web chat mounted as the shell mounts them."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
from aiohttp import web
from aiohttp.web_runner import AppRunner

from bot.webchat import WebChat, WebChatDeps, add_webchat_routes
from ecitizen import server as shell
from ecitizen.app import App
from ecitizen.server import MAX_BODY
from ecitizen.web_security import secure
from kiosk.display import DisplayApp, add_display_routes
from kiosk.events import HallEvents
from kiosk.landing import landing_routes
from kiosk.settings import KioskSettings
from kiosk.slipnote import PrinterReady
from kiosk.web import KioskApp, KioskDeps, add_kiosk_routes
from printing.status import Condition

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def chromium_path() -> str:
    """Debian's chromium; skipped locally when absent, a failure in CI."""
    path = os.environ.get("ECITIZEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if in_ci():
            pytest.fail(f"chromium is required in CI (looked for {path})")
        pytest.skip("chromium is not installed")
    return path


@dataclass
class HallServer:
    app: App
    web: web.Application
    runner: AppRunner
    kiosk: KioskApp
    display: DisplayApp
    hub: HallEvents
    chat: WebChat
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.app.close()


@dataclass
class PrinterStates:
    """The printers' conditions as a test sets them (the print worker's word, faked)."""

    known: dict[str, Condition] = field(default_factory=dict)
    failing: bool = False  # the lookup itself breaks

    def __call__(self, printer: str) -> bool | None:
        if self.failing:
            raise OSError("the print worker cannot be asked")
        condition = self.known.get(printer)
        return None if condition is None else condition.can_print


async def start_hall_server(
    app: App,
    kiosk_settings: KioskSettings | None = None,
    port: int = 0,
    printer_ready: PrinterReady | Literal["worker"] | None = "worker",
    refresh_seconds: float = 5.0,
    poll_seconds: float = 2.0,
    reread_seconds: float = 5.0,
) -> HallServer:
    """Mount everything on a new aiohttp application and serve it; the second time for
    the same app (a "restart" on the same port) the workers are already running. The
    kiosk learns the printer's condition from the app's print worker as the shell wires
    it, from the given lookup, or (None) not at all."""
    application = secure(web.Application(client_max_size=MAX_BODY))
    ready = shell.printer_ready(app) if printer_ready == "worker" else printer_ready
    settings = kiosk_settings or KioskSettings()
    kiosk = add_kiosk_routes(application, KioskDeps(app, app.halls, app.store, settings, ready))
    hub = HallEvents(
        app.store,
        app.halls,
        clock=app.env.clock,
        refresh_seconds=refresh_seconds,
        wakeups=app.store.wakeups,
    )
    display = add_display_routes(application, hub, app.halls)
    application.add_routes(landing_routes(app.halls))
    deps = WebChatDeps(app, app.store, poll_seconds=poll_seconds, reread_seconds=reread_seconds)
    chat = add_webchat_routes(application, deps)
    app.add_delivery("web", deps.delivery)
    app.add_hall_listener(hub.changed)
    if not app.tasks:
        app.start_workers()
    runner = AppRunner(application, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = runner.addresses[0][1]
    return HallServer(
        app, application, runner, kiosk, display, hub, chat, f"http://127.0.0.1:{port}"
    )
