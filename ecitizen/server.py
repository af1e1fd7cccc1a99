"""`ecitizen serve`: one aiohttp server for the kiosk, the hall display, the web chat and
the webhooks, plus the workers (outbox, printers, daily purge) and the configured bots."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import signal
import sys
from dataclasses import dataclass

from aiohttp import web

from bot.telegram import TelegramChannel, TelegramSettingsError, TelegramStartError
from bot.viber import ViberChannel, ViberSettingsError, ViberStartError
from bot.webchat import WebChatDeps, add_webchat_routes
from ecitizen import retention
from ecitizen.app import App, build_app
from ecitizen.config import Config
from ecitizen.looplag import LoopLag, add_loop_lag_route
from ecitizen.polling import PollingLease
from ecitizen.purge import purge_daily
from ecitizen.web_security import secure
from kiosk.display import add_display_routes
from kiosk.events import HallEvents
from kiosk.landing import landing_routes
from kiosk.slipnote import PrinterReady
from kiosk.web import KioskDeps, add_kiosk_routes

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # no request of ours is larger: a bigger one is refused with 413


def printer_ready(app: App) -> PrinterReady:
    """The kiosk's question, whether the hall's printer can print, answered by the print
    worker's last known condition of it (whichever process owns the printer)."""

    def ready(printer: str) -> bool | None:
        condition = app.printers.condition(printer)
        return None if condition is None else condition.can_print

    return ready


def telegram_channel(app: App) -> TelegramChannel | None:
    settings = app.config.telegram
    if not settings.token:
        return None
    return TelegramChannel(
        app,
        settings.token,
        api_url=settings.api_url,
        mode=settings.mode,
        webhook_url=settings.webhook_url or None,
        webhook_secret=settings.webhook_secret or None,
        # Telegram's limit is the bot's: every process sending for it counts in the store
        share_pace_with=app.store,
    )


def viber_channel(app: App) -> ViberChannel | None:
    settings = app.config.viber
    if not settings.token:
        return None
    return ViberChannel(
        app,
        settings.token,
        public_url=settings.public_url,
        secret=app.secret,
        store=app.store,
        api_url=settings.api_url,
        name=settings.name,
        avatar=settings.avatar,
        uri=settings.uri,
        clock=app.env.clock,
    )


@dataclass
class Server:
    app: App
    web: web.Application
    telegram: TelegramChannel | None
    viber: ViberChannel | None = None


def build_web(
    app: App, telegram: TelegramChannel | None = None, viber: ViberChannel | None = None
) -> Server:
    """The whole HTTP surface: landing page, kiosks, hall displays, web chat, webhooks."""
    web_app = secure(web.Application(client_max_size=MAX_BODY))
    add_kiosk_routes(
        web_app,
        KioskDeps(
            app,
            app.halls,
            app.store,
            app.config.kiosk,
            printer_ready=printer_ready(app),
        ),
    )
    hub = HallEvents(app.store, app.halls, clock=app.env.clock, wakeups=app.store.wakeups)
    add_display_routes(web_app, hub, app.halls)
    app.add_hall_listener(hub.changed)
    chat = WebChatDeps(app, app.store)
    add_webchat_routes(web_app, chat)
    app.add_delivery("web", chat.delivery)
    web_app.add_routes(landing_routes(app.halls))
    if app.config.server.debug_metrics:
        add_loop_lag_route(web_app, LoopLag())
    if telegram is not None:
        web_app.add_routes(telegram.webhook_routes())
        app.add_delivery("telegram", telegram.delivery)
    if viber is not None:
        web_app.add_routes(viber.routes())
        app.add_delivery("viber", viber.delivery)
    return Server(app, web_app, telegram, viber)


async def start_telegram(server: Server) -> PollingLease | None:
    """Check the token and start receiving; the deep links need the bot's username.
    In polling mode, only the process holding the polling lease polls (returned)."""
    if server.telegram is None:
        return None
    await server.telegram.start(poll=False)
    env = server.app.env
    if not env.settings.bot_username:
        env.settings = dataclasses.replace(env.settings, bot_username=server.telegram.username)
    if not server.telegram.polls:
        return None
    polling = PollingLease(server.app.store, server.telegram)
    polling.start()
    return polling


async def start_viber(server: Server) -> None:
    """Check the token and register the webhook (our routes are served already)."""
    if server.viber is None:
        return
    await server.viber.start()
    env = server.app.env
    if not env.settings.viber_uri:
        env.settings = dataclasses.replace(env.settings, viber_uri=server.viber.uri)


def leave_startup_out_of_full_collections() -> None:
    """What the process keeps for its life (modules, catalogs, the guide and its index:
    about 100,000 objects) is left out of the garbage collector's passes from now on. A
    full pass over it held the event loop for 30 to 60 ms of CPU (issue 14); garbage made
    at start is collected first, or it would stay."""
    gc.collect()
    gc.freeze()


async def serve(config: Config, *, reuse_port: bool = False) -> int:
    """One server process; reuse_port lets several share the port (`--workers`)."""
    app = await build_app(config)
    try:
        telegram = telegram_channel(app)
        viber = viber_channel(app)
    except (TelegramSettingsError, ViberSettingsError) as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        await app.close()
        return 2
    server = build_web(app, telegram, viber)
    runner = web.AppRunner(server.web, access_log=None)  # access logs could carry codes
    await runner.setup()
    host, port = config.server.host, config.server.port
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        polling = await start_telegram(server)
        await start_viber(server)
    except (OSError, TelegramStartError, ViberStartError) as exc:
        sys.stderr.write(f"cannot start: {exc}\n")
        if telegram is not None:
            await telegram.stop()
        await runner.cleanup()
        await app.close()
        return 2
    leave_startup_out_of_full_collections()
    app.start_workers()
    app.tasks.append(asyncio.create_task(purge_daily(app), name="purge"))
    app.tasks.append(asyncio.create_task(retention.erase_prints_hourly(app), name="prints"))
    log.info("serving on http://%s:%d (process %d)", host, port, os.getpid())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    with contextlib.suppress(Exception):
        await runner.cleanup()  # no new requests; open event streams end
    if polling is not None:
        await polling.stop()  # another process may poll at once
    if telegram is not None:
        await telegram.stop_receiving()
    await app.close()  # the outbox finishes the round it holds before this returns
    if telegram is not None:
        await telegram.stop()
    if viber is not None:
        await viber.stop()
    return 0
