"""Three processes, several printers: a worker asks the store which printers have work and
claims only on those, so what it must never do is leave a job waiting or print out of
order. Each store is another process on one database (PostgreSQL and SQLite); each
printer is a fake network printer on a real socket; the clock is the real one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest

from flows.engine.records import PrintStatus
from printing import PrintWorker, parse_printer
from printing.printers import PrinterConfig
from state import open_store
from state.accounts import BuiltinAccountProvider
from state.leases import printer_lease
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.printing.printing_support import enqueue
from tests.printing.test_printing_owners import LEASE_S, Process, utc_now
from tests.printing.test_printing_worker import PROFILE, ticket, ticket_numbers
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL
PRINTERS = ("hall-1", "hall-2", "hall-3", "hall-4")


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeNetworkPrinter]]:
    started = {name: FakeNetworkPrinter().start() for name in PRINTERS}
    yield started
    for fake in started.values():
        fake.stop()


@dataclass
class Deployment:
    backend: state_fixtures.Backend
    config: dict[str, PrinterConfig]
    started: list[Process]

    async def process(self) -> Process:
        store = await open_store(self.backend.url, clock=utc_now)
        self.backend.opened.append(store)
        accounts = BuiltinAccountProvider(store, clock=utc_now)
        worker = PrintWorker(store, self.config, accounts, utc_now, poll_s=0.05, lease_s=LEASE_S)
        process = Process(store, worker, asyncio.Event())
        self.started.append(process)
        return process


@pytest.fixture
async def deployment(
    backend: state_fixtures.Backend, fakes: dict[str, FakeNetworkPrinter]
) -> AsyncIterator[Deployment]:
    config = {
        name: parse_printer(
            name, {"kind": "network", "host": "127.0.0.1", "port": fake.port, "profile": PROFILE}
        )
        for name, fake in fakes.items()
    }
    found = Deployment(backend, config, [])
    yield found
    for process in found.started:
        if process.task is not None and not process.task.done():
            process.stop.set()
            await process.task


async def statuses(process: Process, printer: str) -> list[PrintStatus]:
    return [job.status for job in await process.store.print_jobs(printer)]


def all_printed(process: Process, count: int) -> Callable[[], object]:
    async def check() -> bool:
        jobs = await process.store.print_jobs()
        return len(jobs) == count and all(job.status is PrintStatus.PRINTED for job in jobs)

    return check


async def test_three_processes_print_every_hall_s_slips_once_each_and_in_order(
    deployment: Deployment, fakes: dict[str, FakeNetworkPrinter]
) -> None:
    processes = [await deployment.process() for _ in range(3)]
    for process in processes:
        process.run()
    # the kiosks of each hall queue their slips through whichever process serves them
    for n in range(1, 9):
        for i, printer in enumerate(PRINTERS):
            queuing = processes[(n + i) % 3]
            await enqueue(queuing.store, f"{printer}-{n}", printer, "ticket", ticket(n, utc_now))
        await asyncio.sleep(0.02)

    await eventually(all_printed(processes[0], 8 * len(PRINTERS)), "every slip printed")
    for printer, fake in fakes.items():
        numbers = ticket_numbers(fake.complete_slips(PROFILE))
        assert numbers == [f"A{n:03d}" for n in range(1, 9)], printer


async def test_an_idle_owner_keeps_its_printers_and_prints_a_job_another_process_queued(
    deployment: Deployment, fakes: dict[str, FakeNetworkPrinter]
) -> None:
    serve, kiosk_side = await deployment.process(), await deployment.process()
    for printer in PRINTERS:
        await enqueue(kiosk_side.store, f"{printer}-1", printer, "ticket", ticket(1, utc_now))
    serve.run()
    await eventually(all_printed(serve, len(PRINTERS)), "the first slips printed")

    await asyncio.sleep(3 * LEASE_S)  # idle for three leases: still the owner of each
    for printer in PRINTERS:
        held = await kiosk_side.store.lease_holder(printer_lease(printer))
        assert held is not None and held[0] == serve.store.owner, printer
    # queued by a process that prints nothing and wakes nobody: serve finds it
    await enqueue(kiosk_side.store, "hall-3-2", "hall-3", "ticket", ticket(2, utc_now))
    await eventually(all_printed(serve, len(PRINTERS) + 1), "the second slip printed")
    assert ticket_numbers(fakes["hall-3"].complete_slips(PROFILE)) == ["A001", "A002"]


async def test_a_slip_a_dead_process_left_printing_is_settled_with_nothing_queued_behind_it(
    deployment: Deployment,
) -> None:
    gone, serve = await deployment.process(), await deployment.process()
    await enqueue(gone.store, "hall-2-1", "hall-2", "ticket", ticket(1, utc_now))
    term = await gone.store.take_lease(printer_lease("hall-2"), gone.store.owner, LEASE_S)
    assert term is not None
    [claimed] = await gone.store.claim_print_jobs("hall-2", utc_now(), 1, term.number)
    await gone.store.close()  # died while the slip went out: nobody renews its lease

    serve.run()

    async def settled() -> bool:
        return await statuses(serve, "hall-2") == [PrintStatus.UNCERTAIN]

    await eventually(settled, "the cut-off slip uncertain")  # an officer decides, not a worker
    assert claimed.key == "hall-2-1"
    # and the printer is not left waiting: the next slip comes out
    await enqueue(serve.store, "hall-2-2", "hall-2", "ticket", ticket(2, utc_now))

    async def next_printed() -> bool:
        return await statuses(serve, "hall-2") == [PrintStatus.PRINTED, PrintStatus.UNCERTAIN]

    await eventually(next_printed, "the next slip printed")
