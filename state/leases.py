"""Leases: what one process holds for a while (a printer, the purge, Telegram polling).

A lease is a row (name, owner, expires_at, term). Taking it succeeds when nobody holds it,
when it expired, or when the caller already holds it; renewing and releasing succeed only
for the owner. Every decision is one conditional statement, so two processes asking at
once never both win. Expiry is judged by the store's clock, the one every process shares
through the database; processes on several machines keep their clocks in step (NTP), a
skew far below a lease's seconds.

Each uninterrupted hold is a term with a number that grows: work stamped with its term can
be refused once another term began (a fencing token), and a holder bounds what it does by
how long it can prove its term lasts (Tenure), so a holder stalled past its lease stops on
its own.

The owner is an id made once per process (host, pid and a random part): a restarted
process is a new owner and never mistakes a lease of its previous life for its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from flows.engine.records import LeaseTerm
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


class Tenure:
    """How long this process can still prove it holds a term, for work that must stop in
    time even when the event loop is stalled (a send in another thread reads `left()`).

    A take or renewal that succeeded sets the lease's end at least ttl_s after it was asked
    for, so the term surely lasts until then; `left()` is what remains of that, less the
    margin in which the holder stops and what it sent drains. Measured on the monotonic
    clock, so a wrong wall clock cannot stretch it."""

    def __init__(self, term: LeaseTerm, ttl_s: float, margin_s: float, asked_at: float) -> None:
        self.term = term.number
        self.starts_at = term.starts_at
        self._ttl_s = ttl_s
        self._margin_s = margin_s
        self._proved = asked_at
        self._until = asked_at + ttl_s - margin_s

    def left(self) -> float:
        """Seconds left to act; zero or less: stop now."""
        return self._until - time.monotonic()

    def age(self) -> float:
        """Seconds since the take or renewal that proves the term was asked for."""
        return time.monotonic() - self._proved

    def renewed(self, asked_at: float) -> None:
        """A renewal asked for at `asked_at` (time.monotonic()) succeeded."""
        if asked_at > self._proved and self._until > -math.inf:
            self._proved = asked_at
            self._until = asked_at + self._ttl_s - self._margin_s

    def lose(self) -> None:
        """The term is over (a renewal was refused): stop at once."""
        self._until = -math.inf


# The lease is the caller's and has not run out: taking it again only extends the term.
_SAME_TERM = "leases.owner = excluded.owner AND leases.expires_at > excluded.acquired_at"


class LeaseQueries(StoreBase):
    async def take_lease(
        self, name: str, owner: str, ttl_s: float, guard_s: float = 0.0
    ) -> LeaseTerm | None:
        """Take the lease for ttl_s seconds if it is free, expired, or already the
        owner's (then the same term goes on, extended); None when another owner holds it.

        A new term gets a larger number than any before it on this lease. When it follows
        another owner's term that ran out (a released lease has no row), it starts guard_s
        after that term's end: the old holder stops acting before its lease ends, and the
        guard covers the clocks' skew and what was already on its way."""
        now = self._clock()
        rows = await self._db.fetch_written(
            "INSERT INTO leases (name, owner, expires_at, acquired_at, term, fenced_until) "
            "VALUES ($1, $2, $3, $4, $4, $4) ON CONFLICT (name) DO UPDATE SET "
            "owner = excluded.owner, expires_at = excluded.expires_at, "
            f"acquired_at = CASE WHEN {_SAME_TERM} THEN leases.acquired_at "
            "ELSE excluded.acquired_at END, "
            f"term = CASE WHEN {_SAME_TERM} THEN leases.term "
            "WHEN leases.term >= excluded.term THEN leases.term + 1 ELSE excluded.term END, "
            f"fenced_until = CASE WHEN {_SAME_TERM} THEN leases.fenced_until "
            "WHEN leases.owner = excluded.owner THEN excluded.fenced_until "
            "ELSE leases.expires_at + $5 END "
            "WHERE leases.owner = excluded.owner OR leases.expires_at <= excluded.acquired_at "
            "RETURNING term, expires_at, fenced_until",
            name,
            owner,
            to_micros(now + timedelta(seconds=ttl_s)),
            to_micros(now),
            round(guard_s * 1_000_000),
        )
        if not rows:
            return None
        row = rows[0]
        return LeaseTerm(int(row[0]), from_micros(row[1]), from_micros(row[2]))

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take the lease for ttl_s seconds if it is free, expired, or already the
        owner's (then it is extended). False when another owner holds it."""
        return await self.take_lease(name, owner, ttl_s) is not None

    async def renew_lease(
        self, name: str, owner: str, ttl_s: float, term: int | None = None
    ) -> bool:
        """Extend a lease the owner still holds (in that term, when given); False when it
        expired or changed hands (then whatever it guarded may already be someone else's)."""
        now = self._clock()
        args = (name, owner, to_micros(now + timedelta(seconds=ttl_s)), to_micros(now))
        in_term = "" if term is None else " AND term = $5"
        changed = await self._db.execute(
            "UPDATE leases SET expires_at = $3 WHERE name = $1 AND owner = $2 "
            f"AND expires_at > $4{in_term}",
            *(args if term is None else (*args, term)),
        )
        return changed > 0

    async def renew_leases(self, prefix: str, owner: str, ttl_s: float) -> dict[str, int]:
        """Extend, in one statement, every lease named `prefix`... that the owner still
        holds (each in its current term); the term of each one extended, by name. A lease
        that ran out or changed hands is not among them."""
        now = self._clock()
        rows = await self._db.fetch_written(
            "UPDATE leases SET expires_at = $3 WHERE owner = $2 AND expires_at > $4 "
            "AND substr(name, 1, $5) = $1 RETURNING name, term",
            prefix,
            owner,
            to_micros(now + timedelta(seconds=ttl_s)),
            to_micros(now),
            len(prefix),
        )
        return {row[0]: int(row[1]) for row in rows}

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

    async with alongside(keep(), f"renew {what}"):
        yield


@contextlib.asynccontextmanager
async def alongside(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """`work` runs as a task of its own while the body runs, and stops when it ends."""
    task = asyncio.create_task(work, name=name)
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
