"""Telegram polling by exactly one process: the one holding the polling lease.

Telegram hands updates to one getUpdates caller at a time; two callers end each other's
requests with 409 Conflict. So every process that is told to poll asks for one lease in
the store; the holder polls and renews it, the others say once why they do not poll,
serve everything else (web chat, kiosks, sending), and keep asking, so one of them takes
over within seconds when the poller dies. A poller that cannot renew in time stops by
itself before another can take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from flows.engine.ports import LeaseStore

log = logging.getLogger(__name__)

POLLING_LEASE = "telegram-polling"
POLLING_LEASE_S = 15.0


class Poller(Protocol):
    async def start_polling(self) -> None: ...

    async def stop_polling(self) -> None: ...


class PollingLease:
    def __init__(self, store: LeaseStore, poller: Poller, ttl_s: float = POLLING_LEASE_S) -> None:
        self.store = store
        self.poller = poller
        self.ttl_s = ttl_s
        self.polling = False
        self._renewed = 0.0  # time.monotonic() of the last renewal that held
        self._said_why = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Hold the lease (or keep asking for it) in a task of its own, until stop()."""
        self.task = asyncio.create_task(self._run(), name="telegram polling lease")

    async def stop(self) -> None:
        """Stop polling and give the lease up, so another process polls at once."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.polling:
            await self._stop_polling()
            with contextlib.suppress(Exception):
                await self.store.release_lease(POLLING_LEASE, self.store.owner)

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception as exc:  # the database may be briefly away: try again
                log.warning("Telegram polling lease: %s", type(exc).__name__)
            if self.polling and time.monotonic() - self._renewed > self.ttl_s * 2 / 3:
                log.warning("Telegram: the polling lease could not be renewed; polling stops")
                await self._stop_polling()
            await asyncio.sleep(self.ttl_s / 3)

    async def step(self) -> None:
        """Renew the lease (polling) or ask for it (not polling), once."""
        owner = self.store.owner
        if self.polling:
            if await self.store.renew_lease(POLLING_LEASE, owner, self.ttl_s):
                self._renewed = time.monotonic()
            else:
                log.warning("Telegram: another process took the polling lease; polling stops")
                await self._stop_polling()
            return
        if await self.store.acquire_lease(POLLING_LEASE, owner, self.ttl_s):
            self._renewed = time.monotonic()
            try:
                await self.poller.start_polling()
            except Exception:
                await self.store.release_lease(POLLING_LEASE, owner)
                raise
            self.polling, self._said_why = True, False
            log.info("Telegram: this process polls for updates (lease %s)", POLLING_LEASE)
        elif not self._said_why:
            self._said_why = True
            holder = await self.store.lease_holder(POLLING_LEASE)
            who = holder[0] if holder is not None else "another process"
            log.warning(
                "Telegram: this process does not poll: Telegram allows one poller per bot and "
                "process %s holds the polling lease (%s). This process serves everything "
                "else and takes polling over if that process stops.",
                who,
                POLLING_LEASE,
            )

    async def _stop_polling(self) -> None:
        self.polling = False
        try:
            await self.poller.stop_polling()
        except Exception as exc:
            log.warning("Telegram: polling did not stop cleanly (%s)", type(exc).__name__)
