"""The hall board (what the TV shows) and the hub that pushes it to open displays.

The board holds ticket labels, counters and counts only: never a name, a reference or
anything else about the person behind a ticket. `notify(hall)` re-reads the day's tickets
and pushes the board to every display of that hall in this process when it changed.
The outbox worker, in whichever one process delivers a "hall_changed" effect, calls
`changed(hall)`, which wakes every process through the store's wake-ups (channel "hall"):
each one then notifies its own displays. A periodic refresh catches anything missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from aiohttp import web

from flows.domain.halls import Hall
from flows.engine.records import Ticket, TicketStatus
from flows.engine.session_ports import Wakeups

log = logging.getLogger(__name__)

RECENT_CALLS = 6
WAKEUP_CHANNEL = "hall"


class TicketSource(Protocol):
    """The part of the store the board reads (flows.engine.ports.QueueStore has it)."""

    async def tickets(self, hall: str, day: date) -> list[Ticket]: ...


@dataclass(frozen=True, slots=True)
class CalledTicket:
    ticket_id: int
    label: str
    counter: str
    called_at: str  # ISO time: a recall of the same ticket is a new call

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.ticket_id,
            "ticket": self.label,
            "counter": self.counter,
            "called_at": self.called_at,
        }


@dataclass(frozen=True, slots=True)
class Board:
    hall: str
    called: tuple[CalledTicket, ...]
    waiting: tuple[tuple[str, int], ...]  # (service prefix, tickets waiting)

    def as_json(self) -> dict[str, Any]:
        return {
            "hall": self.hall,
            "called": [c.as_json() for c in self.called],
            "waiting": [{"service": s, "count": n} for s, n in self.waiting],
        }


def board_of(hall: Hall, tickets: list[Ticket], recent: int = RECENT_CALLS) -> Board:
    called = sorted(
        (t for t in tickets if t.called_at is not None and t.counter is not None),
        key=lambda t: (t.called_at, t.id),
        reverse=True,
    )[:recent]
    waiting: dict[str, int] = {s.prefix: 0 for s in hall.services}
    for t in tickets:
        if t.status == TicketStatus.WAITING:
            waiting[t.service] = waiting.get(t.service, 0) + 1
    return Board(
        hall=hall.code,
        called=tuple(
            CalledTicket(t.id, t.label, str(t.counter), t.called_at.isoformat())
            for t in called
            if t.called_at is not None
        ),
        waiting=tuple(waiting.items()),
    )


class _Subscriber:
    """One open display: only the newest board matters, older ones are skipped."""

    def __init__(self) -> None:
        self.board: Board | None = None
        self.changed = asyncio.Event()
        self.closed = False


class HallEvents:
    def __init__(
        self,
        store: TicketSource,
        halls: Mapping[str, Hall],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        refresh_seconds: float = 5.0,
        wakeups: Wakeups | None = None,  # None: this process alone hears of changes
    ) -> None:
        self._store = store
        self._halls = halls
        self._clock = clock
        self.refresh_seconds = refresh_seconds
        self._wakeups = wakeups
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._last: dict[str, Board] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._pushes: set[asyncio.Task[None]] = set()

    async def changed(self, hall: str) -> None:
        """A hall's queue changed (the outbox's "hall_changed"): every process's displays
        of the hall are brought up to date."""
        if self._wakeups is None:
            await self.notify(hall)
        else:
            await self._wakeups.notify(WAKEUP_CHANNEL, hall)

    def _woken(self, hall: str | None) -> None:
        push = self.refresh_all() if hall is None else self._notify_safely(hall)
        task = asyncio.get_running_loop().create_task(push)
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    async def _notify_safely(self, hall: str) -> None:
        try:
            await self.notify(hall)
        except Exception as exc:  # a store hiccup: the periodic refresh brings it
            log.warning("hall board push failed: %s", type(exc).__name__)

    async def board(self, hall: str) -> Board:
        h = self._halls[hall]
        return board_of(h, await self._store.tickets(hall, h.local_day(self._clock())))

    async def notify(self, hall: str) -> None:
        """Re-read the hall's tickets and push the board to its displays if it changed."""
        if hall not in self._halls or not self._subscribers.get(hall):
            return
        lock = self._locks.setdefault(hall, asyncio.Lock())
        async with lock:
            board = await self.board(hall)
            if self._last.get(hall) == board:
                return
            self._last[hall] = board
            for sub in self._subscribers.get(hall, ()):
                sub.board = board
                sub.changed.set()

    @contextlib.asynccontextmanager
    async def subscribe(self, hall: str) -> AsyncIterator[_Subscriber]:
        sub = _Subscriber()
        last = self._last.get(hall)
        if last is not None:  # what the other displays of the hall show now
            sub.board = last
            sub.changed.set()
        self._subscribers.setdefault(hall, set()).add(sub)
        try:
            yield sub
        finally:
            self._subscribers[hall].discard(sub)
            if not self._subscribers[hall]:
                del self._subscribers[hall]
                self._last.pop(hall, None)

    def close(self) -> None:
        """Server shutdown: end every open stream (the displays reconnect by themselves)."""
        for subs in self._subscribers.values():
            for sub in subs:
                sub.closed = True
                sub.changed.set()

    async def refresh_all(self) -> None:
        for hall in list(self._subscribers):
            await self._notify_safely(hall)

    async def refresher(self, app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: hearing of changes from every process, and the
        periodic safety-net refresh."""
        stop = None
        if self._wakeups is not None:
            stop = await self._wakeups.listen(WAKEUP_CHANNEL, self._woken)

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.refresh_seconds)
                await self.refresh_all()

        task = asyncio.create_task(loop())
        yield
        if stop is not None:
            stop()
        self.close()
        task.cancel()
        for running in [task, *self._pushes]:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
