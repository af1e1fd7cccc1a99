"""The printer worker with the real SQLite store and a fake network printer on a socket:
slips come out once each and in order, whatever the printer does meanwhile."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image

from flows.conversations.slips import CredentialsSlip, ReceiptSlip, TicketSlip
from flows.engine.records import NewAccount, PrintStatus, Unit
from printing import Condition, PrintWorker, parse_printer
from printing.connections import NetworkLink, previews_written
from printing.printers import NetworkTarget
from state import SqlStore
from state.accounts import BuiltinAccountProvider
from tests.fakes.tcp_printer import FakeNetworkPrinter, read
from tests.printing.printing_support import HALL, enqueue
from tests.state.store_support import printer_term

if TYPE_CHECKING:
    from tests.conftest import Clock

PROFILE = "TM-T20II"


def network_printer(fake: FakeNetworkPrinter, paper_mm: int = 80, **extra: object) -> dict:
    table = {"kind": "network", "host": "127.0.0.1", "port": fake.port, "profile": PROFILE}
    table |= {"paper_mm": paper_mm, "status_timeout": 0.5, **extra}
    return {"kiosk": parse_printer("kiosk", table)}


def ticket(number: int, clock: Clock) -> dict:
    return TicketSlip(
        language="sr-Cyrl",
        hall=HALL,
        ticket=f"A{number:03d}",
        service_key="slip.ticket.title",
        issued_at=clock(),
        ahead=number - 1,
        deep_link=f"https://t.me/eGradjaninBot?start=t_kg_A{number:03d}",
    ).payload()


def ticket_numbers(slips: list) -> list[str]:
    found = []
    for slip in slips:
        numbers = [line.strip() for line in slip.lines if re.fullmatch(r"\s*A\d{3}\s*", line)]
        assert len(numbers) == 1, slip.lines
        found.append(numbers[0])
    return found


class Attention:
    def __init__(self) -> None:
        self.reported: list[tuple[str, str]] = []
        self.ready: list[str] = []

    def __call__(self, printer: str, reason: str) -> None:
        self.reported.append((printer, reason))

    def back(self, printer: str) -> None:
        self.ready.append(printer)


def make_worker(store, printers, accounts, clock, attention=None) -> PrintWorker:
    attention = attention or Attention()
    return PrintWorker(
        store, printers, accounts, clock, on_attention=attention, on_ready=attention.back
    )


async def test_twenty_slips_survive_the_printer_going_away_in_order_each_once(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    for n in range(1, 21):
        await enqueue(store, f"t{n}", "kiosk", "ticket", ticket(n, clock))
    printer.drop[8] = 300  # the 8th slip: the connection breaks 300 bytes in
    attention = Attention()
    worker = make_worker(store, network_printer(printer), accounts, clock, attention)

    first = await worker.run_once()
    assert len(first.printed) == 7 and len(first.waiting) == 1
    printer.go_away()  # and then the printer is switched off
    for _ in range(3):
        clock.advance(seconds=61)
        report = await worker.run_once()
        assert report.printed == []
    assert ("kiosk", "unreachable") in attention.reported
    assert worker.conditions()["kiosk"] is Condition.UNREACHABLE
    printer.come_back()
    clock.advance(seconds=61)
    last = await worker.run_once()

    assert len(last.printed) == 13
    assert ticket_numbers(printer.complete_slips(PROFILE)) == [f"A{n:03d}" for n in range(1, 21)]
    jobs = await store.print_jobs("kiosk")
    assert {j.status for j in jobs} == {PrintStatus.PRINTED}
    assert attention.ready == ["kiosk"]


async def test_paper_out_keeps_the_slip_queued_and_asks_for_attention(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    printer.mode = "paper_out"
    job_id = await enqueue(store, "t1", "kiosk", "ticket", ticket(1, clock))
    attention = Attention()
    worker = make_worker(store, network_printer(printer), accounts, clock, attention)

    report = await worker.run_once()

    assert report.waiting == [job_id]
    job = next(j for j in await store.print_jobs("kiosk") if j.id == job_id)
    assert job.status is PrintStatus.QUEUED and job.error == "paper_out"
    assert attention.reported == [("kiosk", "paper_out")]
    assert printer.jobs() == []  # nothing was sent to a printer without paper

    printer.mode = "online"
    clock.advance(seconds=5)
    assert (await worker.run_once()).printed == [job_id]
    assert attention.ready == ["kiosk"]


async def test_cover_open_is_reported_as_such(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    printer.mode = "cover_open"
    await enqueue(store, "t1", "kiosk", "ticket", ticket(1, clock))
    attention = Attention()
    worker = make_worker(store, network_printer(printer), accounts, clock, attention)
    assert (await worker.run_once()).printed == []
    assert attention.reported == [("kiosk", "cover_open")]
    assert worker.conditions()["kiosk"] is Condition.COVER_OPEN


async def test_a_printer_that_does_not_answer_status_is_unknown_and_still_prints(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    printer.mode = "silent"
    job_id = await enqueue(store, "t1", "kiosk", "ticket", ticket(1, clock))
    attention = Attention()
    worker = make_worker(
        store, network_printer(printer, status_timeout=0.2), accounts, clock, attention
    )
    assert (await worker.run_once()).printed == [job_id]
    assert attention.reported == []  # "unknown" is not "paper out"
    assert worker.conditions()["kiosk"] is Condition.UNKNOWN
    assert ticket_numbers(printer.complete_slips(PROFILE)) == ["A001"]


async def test_a_later_slip_never_overtakes_one_waiting_for_a_retry_even_after_a_restart(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    printer.go_away()
    await enqueue(store, "t1", "kiosk", "ticket", ticket(1, clock))
    await make_worker(store, network_printer(printer), accounts, clock).run_once()
    printer.come_back()
    clock.advance(seconds=0.5)  # the retry of A001 is due a little later
    await enqueue(store, "t2", "kiosk", "ticket", ticket(2, clock))

    restarted = make_worker(store, network_printer(printer), accounts, clock)
    assert (await restarted.run_once()).printed == []
    clock.advance(seconds=1)
    assert len((await restarted.run_once()).printed) == 2
    assert ticket_numbers(printer.complete_slips(PROFILE)) == ["A001", "A002"]


async def test_a_crash_after_sending_leaves_the_slip_uncertain_until_an_officer_reprints(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    await store.apply(Unit(accounts=[NewAccount("K7M4-PX9N", "jelena.petrovic")]))
    job_id = await enqueue(
        store,
        "c1",
        "kiosk",
        "credentials",
        CredentialsSlip(language="sr-Latn", hall=HALL, username="jelena.petrovic").payload(),
    )
    # A worker claimed the job and sent the slip, then its process died before marking it.
    term = await printer_term(store, "kiosk")
    assert [j.id for j in await store.claim_print_jobs("kiosk", clock(), 1, term)] == [job_id]
    link = NetworkLink(NetworkTarget("127.0.0.1", printer.port), 1.0, 0.5)
    link.open()
    link.sock.sendall(b"\x1b@slip\n\x1dV\x00")  # type: ignore[union-attr]
    link.close()
    assert printer.accepted(1)
    clock.advance(seconds=11)  # nobody renews the dead process's lease

    worker = make_worker(store, network_printer(printer), accounts, clock)
    assert await worker.start() == 1
    clock.advance(hours=1)
    assert (await worker.run_once()).printed == []
    job = next(j for j in await store.print_jobs("kiosk") if j.id == job_id)
    assert job.status is PrintStatus.UNCERTAIN
    assert len(printer.jobs()) == 1
    assert await store.activation_hash("jelena.petrovic") is None  # no code issued again

    assert await store.requeue(job_id, clock())  # the officer's reprint
    assert (await worker.run_once()).printed == [job_id]
    assert len(printer.jobs()) == 2


async def test_credentials_carry_a_code_that_activates_and_is_nowhere_in_the_store(
    store: SqlStore,
    accounts: BuiltinAccountProvider,
    clock: Clock,
    printer: FakeNetworkPrinter,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    await store.apply(Unit(accounts=[NewAccount("K7M4-PX9N", "jelena.petrovic")]))
    payload = CredentialsSlip(language="sr-Cyrl", hall=HALL, username="jelena.petrovic").payload()
    await enqueue(store, "c1", "kiosk", "credentials", payload)
    worker = make_worker(store, network_printer(printer), accounts, clock)

    assert len((await worker.run_once()).printed) == 1

    [slip] = printer.complete_slips(PROFILE)
    [qr] = [q for q in slip.qrs if q.payload.startswith("consentid://")]
    query = parse_qs(urlparse(qr.payload).query)
    assert query["u"] == ["jelena.petrovic"]
    code = query["c"][0]
    assert any(line.strip() == code for line in slip.lines)  # printed in clear, too
    assert "jelena.petrovic" in slip.text
    assert await accounts.verify_activation_code("jelena.petrovic", code)
    assert code not in caplog.text
    await store.close()
    for path in db_path.parent.glob(db_path.name + "*"):  # the database, its WAL and shm
        assert code.encode() not in path.read_bytes()


async def test_the_file_printer_keeps_the_escpos_bytes_and_a_preview(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, tmp_path: Path
) -> None:
    prints = tmp_path / "prints"
    printers = {"file": parse_printer("file", {"kind": "file", "dir": str(prints), "paper_mm": 58})}
    job_id = await enqueue(
        store,
        "r1",
        "file",
        "receipt",
        ReceiptSlip(
            language="en",
            hall=HALL,
            ref="K7M4-PX9N",
            visit_at=None,
            issued_at=clock(),
            deep_link="https://t.me/eGradjaninBot?start=rK7M4PX9N",
        ).payload(),
    )
    worker = make_worker(store, printers, accounts, clock)
    assert (await worker.run_once()).printed == [job_id]
    previews_written()  # drawn a moment after the slip, off the worker's path

    stem = f"{job_id:06d}-receipt"
    assert sorted(p.name for p in prints.iterdir()) == [f"{stem}.bin", f"{stem}.png"]
    [slip] = read((prints / f"{stem}.bin").read_bytes(), "default")
    assert slip.cuts == 1 and "K7M4-PX9N" in slip.text
    png = Image.open(prints / f"{stem}.png")
    assert png.width == 384
    found = {b.text for b in zxingcpp.read_barcodes(png)}
    assert found == {"K7M4-PX9N", "https://t.me/eGradjaninBot?start=rK7M4PX9N"}


async def test_a_job_that_cannot_make_a_slip_fails_with_its_reason(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    bad = ticket(1, clock) | {"jmbg": "0512981717776"}
    job_id = await enqueue(store, "t1", "kiosk", "ticket", bad)
    worker = make_worker(store, network_printer(printer), accounts, clock)
    assert (await worker.run_once()).failed == [job_id]
    job = next(j for j in await store.print_jobs("kiosk") if j.id == job_id)
    assert job.status is PrintStatus.FAILED and "jmbg" in (job.error or "")
    assert printer.jobs() == []


async def test_a_credentials_job_that_cannot_make_a_slip_costs_no_activation_code(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    await store.apply(Unit(accounts=[NewAccount("K7M4-PX9N", "jelena.petrovic")]))
    await store.set_activation_hash("jelena.petrovic", "earlier", clock())
    payload = CredentialsSlip(language="en", hall=HALL, username="jelena.petrovic").payload()
    del payload["hall"]
    job_id = await enqueue(store, "c1", "kiosk", "credentials", payload)
    worker = make_worker(store, network_printer(printer), accounts, clock)
    assert (await worker.run_once()).failed == [job_id]
    assert await store.activation_hash("jelena.petrovic") == "earlier"  # still valid


async def test_when_no_code_can_be_had_the_officer_is_told_and_later_slips_still_print(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, printer: FakeNetworkPrinter
) -> None:
    payload = CredentialsSlip(language="en", hall=HALL, username="nobody.known").payload()
    stuck = await enqueue(store, "c1", "kiosk", "credentials", payload)
    behind = await enqueue(store, "t1", "kiosk", "ticket", ticket(1, clock))
    attention = Attention()
    worker = make_worker(store, network_printer(printer), accounts, clock, attention)
    reports = []
    for _ in range(3):
        reports.append(await worker.run_once())
        clock.advance(seconds=61)
    assert attention.reported == [("kiosk", "accounts_unavailable")]
    assert [r.waiting for r in reports[:2]] == [[stuck], [stuck]]  # tried again, then...
    assert (reports[2].failed, reports[2].printed) == ([stuck], [behind])  # ...let go
    job = next(j for j in await store.print_jobs("kiosk") if j.id == stuck)
    assert job.status is PrintStatus.FAILED and "accounts_unavailable" in (job.error or "")
