"""Wiring: the one place that knows every package. Builds the store, the engine and workers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.web.mailbox import CHANNEL as WEB_CHANNEL
from bot.web.mailbox import WEB_CHAT
from ecitizen.config import Config, printer_configs
from ecitizen.outbox import HallListener, OutboxWorker
from flows.conversations.assembly import build_engine, preload
from flows.domain.deep_links import LinkSigner
from flows.domain.halls import Hall
from flows.engine.channel_ports import ChannelPort, Delivery
from flows.engine.engine import Engine
from flows.engine.messages import Inbound, Msg, Outbound
from flows.engine.notify import InDoubt, officer_notices
from flows.engine.ports import Store
from flows.engine.readonly import read_only
from flows.engine.records import Unit
from flows.engine.turn import EngineSettings, Env
from kiosk.sessions import KIOSK_CHANNEL, KioskChannel
from printing.worker import PrintWorker
from state import open_store
from state.accounts import BuiltinAccountProvider

log = logging.getLogger(__name__)

GRACEFUL = frozenset({"outbox", "printers"})  # tasks that finish their round when stopped


def utc_now() -> datetime:
    return datetime.now(UTC)


def link_secret(config: Config) -> bytes:
    """The deep-link signing secret: configured, or made once and kept in the data dir."""
    if config.links.secret:
        return config.links.secret.encode()
    Path(config.data.dir).mkdir(parents=True, exist_ok=True)
    path = Path(config.data.dir) / "link-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def engine_settings(config: Config) -> EngineSettings:
    """[engine], with the bots' names for deep links from their own tables."""
    return dataclasses.replace(
        config.engine, bot_username=config.telegram.bot_username, viber_uri=config.viber.uri
    )


# What each channel answers the engine about its conversations (which hall, what it can
# do); Telegram, Viber and the terminal are a person's own chat, the engine's default.
CHANNELS: dict[str, ChannelPort] = {KIOSK_CHANNEL: KioskChannel(), WEB_CHANNEL: WEB_CHAT}


@dataclass
class App:
    config: Config
    store: Store
    env: Env
    engine: Engine
    outbox: OutboxWorker
    printers: PrintWorker
    halls: dict[str, Hall]
    secret: bytes = b""  # the deployment's link secret (signed deep links, picture URLs)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await self.engine.handle(inbound)

    def committed(self, unit: Unit) -> None:
        """Wakes the workers a message gave work to, not both after every message (the
        print worker's and the outbox's look for work costs a read each)."""
        if unit.notifies():
            self.outbox.wake()
        if unit.prints():
            self.printers.wake()

    def add_delivery(
        self, channel: str, delivery: Delivery, users: Collection[str] | None = None
    ) -> None:
        """Notifications of the channel: everybody's, or only those to `users` (a
        terminal's own person; other processes deliver the rest)."""
        self.outbox.add_delivery(channel, delivery, users)

    def add_hall_listener(self, listener: HallListener) -> None:
        self.outbox.hall_listeners.append(listener)

    def start_workers(self) -> None:
        self.tasks.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self.tasks.append(asyncio.create_task(self._print(), name="printers"))

    async def _print(self) -> None:
        # at start, jobs a crash left mid-print become "uncertain" and wait for an officer
        await self.printers.run(stop=self._stopping)

    def printer_needs_attention(self, printer: str, reason: str) -> None:
        """Tell the officers of every hall that prints on it (once per printer, reason, hour)."""
        self.tasks.append(asyncio.create_task(self._attention(printer, reason)))

    async def _attention(self, printer: str, reason: str) -> None:
        hour = self.env.clock().strftime("%Y%m%d%H")
        texts = [Msg.of("printer.attention", printer=printer, reason=Msg(f"printer.{reason}"))]
        unit = Unit()
        for hall in self.halls.values():
            if printer == hall.printer or printer in hall.counter_printers.values():
                officers = await self.store.officers(hall.code)
                idem = f"printer:{printer}:{reason}:{hour}"
                # the printer still needs someone: a repeat does no harm
                unit.effects += await officer_notices(
                    self.store, officers, texts, idem, in_doubt=InDoubt.RESEND
                )
        if unit.effects:
            await self.store.apply(unit)
            self.outbox.wake()

    async def close(self, grace_s: float = 10.0) -> None:
        """Let the workers finish what they hold, then stop everything and close the store."""
        self.outbox.stop()
        self._stopping.set()
        self.printers.wake()
        graceful = [t for t in self.tasks if t.get_name() in GRACEFUL]
        if graceful:
            await asyncio.wait(graceful, timeout=grace_s)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        await self.store.close()


@contextlib.asynccontextmanager
async def opened(config: Config) -> AsyncIterator[App]:
    """The application for one command, closed (its store too) however the command ends."""
    app = await build_app(config)
    try:
        yield app
    finally:
        await app.close()


async def build_app(config: Config, clock: Callable[[], datetime] = utc_now) -> App:
    secret = await asyncio.to_thread(link_secret, config)
    await asyncio.to_thread(preload)  # not at the first messages, on the event loop
    store = await open_store(
        config.database_url,
        clock=clock,
        synchronous=config.database.synchronous,
        cache_bytes=config.database.conversation_cache_bytes,
    )
    halls = {h.code: h.to_hall() for h in config.halls}
    env = Env(
        store=read_only(store),
        accounts=BuiltinAccountProvider(
            store, clock=clock, code_valid=timedelta(days=config.engine.activation_code_days)
        ),
        halls=halls,
        settings=engine_settings(config),
        clock=clock,
        links=LinkSigner(secret),
        channels=CHANNELS,
    )
    outbox = OutboxWorker(
        store,
        {},
        halls,
        clock,
        poll_seconds=config.outbox.poll_seconds,
        max_attempts=config.outbox.max_attempts,
        lease_seconds=config.outbox.claim_seconds,
        activation_code_days=config.engine.activation_code_days,
    )
    printers = PrintWorker(store, printer_configs(config), env.accounts, clock)
    app = App(config, store, env, build_engine(env, store), outbox, printers, halls, secret)
    app.engine.committed = app.committed
    printers.on_attention = app.printer_needs_attention
    return app
