"""A printer's owner that is slow or stalled, yet alive: a long queue on a printer slow to
answer, and an owner whose event loop stops for seconds (a busy machine, a long pause)
while a slow printer is still taking its slip. Each store is another process on one
database (PostgreSQL and SQLite); the stalled one runs its event loop in a thread of its
own, so the test can stop that loop while its sending thread goes on. The printer is a
fake network printer on a real socket; the clock is the real one.

What a person at the counter sees: one slip at a time, oldest first, each once or marked
uncertain for an officer, never two slips' bytes mixed on the paper."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from flows.engine.records import PrintStatus
from printing import PrinterConfig, PrintWorker, parse_printer
from state import SqlStore, open_store
from state.accounts import BuiltinAccountProvider
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.printing.printing_support import enqueue
from tests.printing.test_printing_owners import holder, settled
from tests.printing.test_printing_worker import PROFILE, ticket, ticket_numbers
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL


def utc_now() -> datetime:
    return datetime.now(UTC)


def kiosk_printer(printer: FakeNetworkPrinter, **extra: Any) -> dict[str, PrinterConfig]:
    table = {"kind": "network", "host": "127.0.0.1", "port": printer.port, "profile": PROFILE}
    return {"kiosk": parse_printer("kiosk", table | {"status_timeout": 3.0, **extra})}


class LoopProcess:
    """A server process of its own: a store and a printer worker on an event loop in a
    thread. `stall` stops that loop for a while, as a busy machine or a long pause stops
    a live server, while the thread sending to the printer goes on."""

    def __init__(self, url: str, printers: dict[str, PrinterConfig], lease_s: float) -> None:
        self.url, self.printers, self.lease_s = url, printers, lease_s
        self.owner = ""
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        store = await open_store(self.url, clock=utc_now)
        try:
            self.owner = store.owner
            accounts = BuiltinAccountProvider(store, clock=utc_now)
            worker = PrintWorker(
                store, self.printers, accounts, utc_now, poll_s=0.05, lease_s=self.lease_s
            )
            self.ready.set()
            await worker.run(self._stop)
        finally:
            await store.close()

    async def start(self) -> None:
        self._thread.start()
        assert await asyncio.to_thread(self.ready.wait, 30)

    def stall(self, seconds: float) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(time.sleep, seconds)

    async def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, 60)


@pytest.fixture
async def stalling(
    backend: state_fixtures.Backend,
) -> AsyncIterator[Callable[[dict[str, PrinterConfig], float], Awaitable[LoopProcess]]]:
    started: list[LoopProcess] = []

    async def start(printers: dict[str, PrinterConfig], lease_s: float) -> LoopProcess:
        process = LoopProcess(backend.url, printers, lease_s)
        started.append(process)
        await process.start()
        return process

    yield start
    for process in started:
        await process.stop()


@contextlib.asynccontextmanager
async def worker_in_this_loop(
    store: SqlStore, printers: dict[str, PrinterConfig], lease_s: float
) -> AsyncIterator[None]:
    accounts = BuiltinAccountProvider(store, clock=utc_now)
    worker = PrintWorker(store, printers, accounts, utc_now, poll_s=0.05, lease_s=lease_s)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def on_the_real_clock(backend: state_fixtures.Backend) -> SqlStore:
    """Another process's store on the test's database, with the real clock (leases run
    out in real time here)."""
    store = await open_store(backend.url, clock=utc_now)
    backend.opened.append(store)
    return store


async def test_an_owner_printing_a_long_queue_keeps_its_printer_to_the_last_slip(
    backend: state_fixtures.Backend, printer: FakeNetworkPrinter
) -> None:
    # Each slip takes a few tenths of a second (six status answers), the queue several
    # leases: the owner must renew between slips, not only during a long one.
    printer.answer_delay_s = 0.05
    lease_s = 3.0
    serve, other = await on_the_real_clock(backend), await on_the_real_clock(backend)
    for n in range(1, 21):
        await enqueue(serve, f"t{n}", "kiosk", "ticket", ticket(n, utc_now))
    async with worker_in_this_loop(serve, kiosk_printer(printer), lease_s):

        async def serve_holds() -> bool:
            return await holder(other) == serve.owner

        await eventually(serve_holds, "serve holds the printer")
        async with worker_in_this_loop(other, kiosk_printer(printer), lease_s):
            found = await settled(other, 20)

    assert printer.overlaps() == []
    numbers = ticket_numbers(printer.complete_slips(PROFILE))
    assert numbers == [f"A{n:03d}" for n in range(1, 21)]
    assert found == {f"t{n}": PrintStatus.PRINTED for n in range(1, 21)}  # none uncertain


async def test_a_stalled_owner_stops_sending_before_another_process_takes_the_printer(
    backend: state_fixtures.Backend,
    printer: FakeNetworkPrinter,
    stalling: Callable[[dict[str, PrinterConfig], float], Awaitable[LoopProcess]],
) -> None:
    # Slips drawn as images (about 22 KB) on a printer that takes 6 KB a second: each
    # takes more than three seconds to send, longer than the lease.
    printers = kiosk_printer(printer, code_pages=[])
    printer.take_slowly(6000)
    lease_s = 3.0
    store = await on_the_real_clock(backend)
    for n in range(1, 4):
        await enqueue(store, f"t{n}", "kiosk", "ticket", ticket(n, utc_now))
    stalled = threading.Event()

    def stall_the_owner(connection: int, received: int) -> None:
        if connection == 1 and received >= 2000 and not stalled.is_set():
            stalled.set()
            owner.stall(5.0)  # its event loop stops; its thread sending A001 goes on

    printer.receiving = stall_the_owner
    owner = await stalling(printers, lease_s)
    assert await asyncio.to_thread(stalled.wait, 30)
    async with worker_in_this_loop(store, printers, lease_s):
        found = await settled(store, 3)

    # A001 was cut off mid-slip, or was whole on paper before A002 began; either way it
    # is never printed again unasked, and A002 and A003 come out after it, one at a time.
    assert printer.overlaps() == []
    assert found["t1"] in (PrintStatus.UNCERTAIN, PrintStatus.PRINTED)
    assert (found["t2"], found["t3"]) == (PrintStatus.PRINTED, PrintStatus.PRINTED)
    numbers = ticket_numbers(printer.complete_slips(PROFILE))
    assert numbers in (["A002", "A003"], ["A001", "A002", "A003"])
