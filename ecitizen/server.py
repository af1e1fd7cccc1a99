"""`ecitizen serve`: one aiohttp server for the kiosk, the hall display, the web chat and
the webhooks, plus the workers (outbox, printers, daily purge) and the configured bots."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiohttp import web

from ecitizen.app import App, build_app, utc_now
from ecitizen.config import Config

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(days=1)


async def purge_daily(app: App) -> None:
    """Expire visits that passed and erase personal data past the retention period."""
    while True:
        try:
            now = utc_now()
            expired = await app.store.expire_due(now)
            erased = await app.store.purge(now - timedelta(days=app.config.engine.retention_days))
            log.info("daily purge: %d expired, %d erased", len(expired), erased)
        except Exception:
            log.exception("daily purge failed; trying again tomorrow")
        await asyncio.sleep(PURGE_EVERY.total_seconds())


def build_web(app: App) -> web.Application:
    web_app = web.Application(client_max_size=64 * 1024)
    web_app["ecitizen"] = app
    return web_app


async def serve(config: Config) -> int:
    app = await build_app(config)
    app.start_workers()
    app.tasks.append(asyncio.create_task(purge_daily(app), name="purge"))
    runner = web.AppRunner(build_web(app))
    await runner.setup()
    site = web.TCPSite(runner, config.server.host, config.server.port)
    await site.start()
    log.info("serving on http://%s:%d", config.server.host, config.server.port)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
        await app.close()
    return 0
