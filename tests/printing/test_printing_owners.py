"""Several processes, one printer: each printer has one owner at a time, slips come out once
each and in order, and a process that dies hands its printer over within seconds. Each
store is another process on one database (PostgreSQL and SQLite); the printer is a fake
network printer on a real socket; the clock is the real one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from flows.engine.records import PrintStatus
from printing import Condition, PrintWorker, parse_printer
from state import SqlStore, open_store
from state.accounts import BuiltinAccountProvider
from state.leases import printer_lease
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.printing.printing_support import enqueue
from tests.printing.test_printing_worker import PROFILE, ticket, ticket_numbers
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL
LEASE_S = 1.0  # short, so a takeover in these tests is quick


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Process:
    """One process: its own store (connections, owner id) and printer worker."""

    store: SqlStore
    worker: PrintWorker
    stop: asyncio.Event
    task: asyncio.Task[None] | None = None

    def run(self) -> None:
        self.task = asyncio.create_task(self.worker.run(self.stop))

    async def kill(self) -> None:
        """Gone without a word: no lease released, nothing marked."""
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def processes(
    backend: state_fixtures.Backend, printer: FakeNetworkPrinter
) -> AsyncIterator[Callable[[], Awaitable[Process]]]:
    started: list[Process] = []
    table = {"kind": "network", "host": "127.0.0.1", "port": printer.port, "profile": PROFILE}
    # status_timeout: how long a hung printer keeps its sender waiting
    config = {"kiosk": parse_printer("kiosk", table | {"status_timeout": 3.0})}

    async def start() -> Process:
        store = await open_store(backend.url, clock=utc_now)
        backend.opened.append(store)
        accounts = BuiltinAccountProvider(store, clock=utc_now)
        worker = PrintWorker(store, config, accounts, utc_now, poll_s=0.05, lease_s=LEASE_S)
        process = Process(store, worker, asyncio.Event())
        started.append(process)
        return process

    yield start
    for process in started:
        if process.task is not None and not process.task.done():
            process.stop.set()
            await process.task


async def settled(store: SqlStore, count: int) -> dict[str, PrintStatus]:
    """Waits until `count` jobs are neither queued nor printing; their statuses."""
    found: dict[str, PrintStatus] = {}

    async def check() -> bool:
        found.clear()
        found.update({job.key: job.status for job in await store.print_jobs("kiosk")})
        busy = {PrintStatus.QUEUED, PrintStatus.PRINTING}
        return len(found) == count and not busy & set(found.values())

    await eventually(check, f"{count} jobs settled")
    return found


async def printed(store: SqlStore, at_least: int) -> None:
    async def check() -> bool:
        jobs = await store.print_jobs("kiosk")
        return sum(job.status is PrintStatus.PRINTED for job in jobs) >= at_least

    await eventually(check, f"{at_least} slips printed")


async def holder(store: SqlStore) -> str | None:
    held = await store.lease_holder(printer_lease("kiosk"))
    return None if held is None else held[0]


async def test_two_processes_print_each_slip_once_and_in_order_and_hand_over_on_stop(
    processes: Callable[[], Awaitable[Process]], printer: FakeNetworkPrinter
) -> None:
    first, second = await processes(), await processes()
    for n in range(1, 11):
        await enqueue(first.store, f"t{n}", "kiosk", "ticket", ticket(n, utc_now))
    first.run()
    second.run()
    await printed(first.store, 3)
    held_by = await holder(first.store)
    owner, other = (first, second) if held_by == first.store.owner else (second, first)
    assert held_by == owner.store.owner

    owner.stop.set()  # a graceful stop gives the printer up at once
    assert owner.task is not None
    await owner.task
    for n in range(11, 21):
        await enqueue(other.store, f"t{n}", "kiosk", "ticket", ticket(n, utc_now))

    found = await settled(other.store, 20)
    assert set(found.values()) == {PrintStatus.PRINTED}
    assert await holder(other.store) == other.store.owner
    numbers = ticket_numbers(printer.complete_slips(PROFILE))
    assert numbers == [f"A{n:03d}" for n in range(1, 21)]


async def test_a_dead_process_s_printer_is_taken_over_and_only_its_job_becomes_uncertain(
    processes: Callable[[], Awaitable[Process]], printer: FakeNetworkPrinter
) -> None:
    serve = await processes()
    for n in range(1, 7):
        await enqueue(serve.store, f"t{n}", "kiosk", "ticket", ticket(n, utc_now))
    printer.hang = {3}  # the third slip goes in, then the printer says nothing more
    serve.run()
    assert await asyncio.to_thread(printer.hung.wait, 30)

    # `ecitizen chat` starts beside `serve` while serve sends A003: it harms nothing
    chat = await processes()
    assert await chat.worker.start() == 0
    jobs = {job.key: job for job in await chat.store.print_jobs("kiosk")}
    assert jobs["t3"].status is PrintStatus.PRINTING
    assert not await chat.store.print_done(jobs["t3"].id, utc_now())
    chat.run()

    await serve.kill()  # serve dies in the middle of A003
    found = await settled(chat.store, 6)

    assert found == {f"t{n}": PrintStatus.PRINTED for n in (1, 2, 4, 5, 6)} | {
        "t3": PrintStatus.UNCERTAIN  # it may or may not be on paper: an officer decides
    }
    assert await holder(chat.store) == chat.store.owner
    numbers = ticket_numbers(printer.complete_slips(PROFILE))
    assert numbers == [f"A{n:03d}" for n in range(1, 7)]  # A003 once, nothing out of order
    assert chat.worker.conditions()["kiosk"] is Condition.ONLINE


async def test_a_printer_s_condition_reaches_every_process(
    processes: Callable[[], Awaitable[Process]], printer: FakeNetworkPrinter
) -> None:
    printer.mode = "paper_out"
    serve, kiosk_side = await processes(), await processes()
    await enqueue(serve.store, "t1", "kiosk", "ticket", ticket(1, utc_now))
    serve.run()

    async def serve_holds() -> bool:
        return await holder(serve.store) == serve.store.owner

    async def kiosk_side_sees_it() -> bool:
        assert (await kiosk_side.worker.run_once()).printed == []
        return kiosk_side.worker.conditions()["kiosk"] is Condition.PAPER_OUT

    await eventually(serve_holds, "serve holds the printer")
    await eventually(kiosk_side_sees_it, "the other process sees paper out")
    # kiosk_side never held the printer: the condition came through the store
    assert kiosk_side.worker.condition("kiosk") is Condition.PAPER_OUT  # as the kiosk asks
    assert kiosk_side.worker.condition("elsewhere") is None
    assert await holder(serve.store) == serve.store.owner
    [job] = await kiosk_side.store.print_jobs("kiosk")
    assert (job.status, job.error) == (PrintStatus.QUEUED, "paper_out")
