"""Leases: what one process holds for a while (a printer, the purge, Telegram polling).

A lease is a row (name, owner, expires_at). Taking it succeeds when nobody holds it, when
it expired, or when the caller already holds it; renewing and releasing succeed only for
the owner. Every decision is one conditional statement, so two processes asking at once
never both win. Expiry is judged by the store's clock, the one every process shares
through the database; processes on several machines keep their clocks in step (NTP), a
skew far below a lease's seconds.

The owner is an id made once per process (host, pid and a random part): a restarted
process is a new owner and never mistakes a lease of its previous life for its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from state.base import StoreBase
from state.values import from_micros, to_micros

log = logging.getLogger(__name__)

PRINTER_LEASE = "printer:"  # + the printer's name


class LeaseHolder(Protocol):
    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool: ...


def new_owner() -> str:
    """An id for this process, unique across restarts and machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def printer_lease(printer: str) -> str:
    return PRINTER_LEASE + printer


class LeaseQueries(StoreBase):
    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take the lease for ttl_s seconds if it is free, expired, or already the
        owner's (then it is extended). False when another owner holds it."""
        now = self._clock()
        changed = await self._db.execute(
            "INSERT INTO leases (name, owner, expires_at, acquired_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
            "expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.owner = "
            "excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END "
            "WHERE leases.owner = excluded.owner OR leases.expires_at <= excluded.acquired_at",
            name,
            owner,
            to_micros(now + timedelta(seconds=ttl_s)),
            to_micros(now),
        )
        return changed > 0

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Extend a lease the owner still holds; False when it expired or changed hands
        (then whatever it guarded may already be someone else's)."""
        now = self._clock()
        changed = await self._db.execute(
            "UPDATE leases SET expires_at = $3 WHERE name = $1 AND owner = $2 AND expires_at > $4",
            name,
            owner,
            to_micros(now + timedelta(seconds=ttl_s)),
            to_micros(now),
        )
        return changed > 0

    async def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease up at once, so another process need not wait for it to expire.
        Only its owner can; False for anyone else."""
        changed = await self._db.execute(
            "DELETE FROM leases WHERE name = $1 AND owner = $2", name, owner
        )
        return changed > 0

    async def lease_holder(self, name: str) -> tuple[str, float] | None:
        """Who holds the lease and for how many more seconds; None when nobody does."""
        row = await self._db.fetchrow("SELECT owner, expires_at FROM leases WHERE name = $1", name)
        if row is None:
            return None
        left = (from_micros(row[1]) - self._clock()).total_seconds()
        return (row[0], left) if left > 0 else None


@contextlib.asynccontextmanager
async def renewed(
    renew: Callable[[], Awaitable[bool | int]], every_s: float, what: str
) -> AsyncIterator[None]:
    """While the body runs, call `renew` every every_s seconds, so long work never
    outlives its lease or claim; it stops when `renew` holds nothing any more (False, 0).
    The body's own guarded writes then decide what still stands."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                if not await renew():
                    return
            except Exception as exc:  # the database may be briefly away: try again
                log.warning("%s not renewed (%s)", what, type(exc).__name__)

    task = asyncio.create_task(keep(), name=f"renew {what}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def kept(
    store: LeaseHolder, name: str, owner: str, ttl_s: float
) -> contextlib.AbstractAsyncContextManager[None]:
    """The held lease `name`, renewed every third of its time to live while the body runs."""

    async def renew() -> bool:
        held = await store.renew_lease(name, owner, ttl_s)
        if not held:
            log.warning("lease %s was lost while working", name)
        return held

    return renewed(renew, ttl_s / 3, f"lease {name}")
