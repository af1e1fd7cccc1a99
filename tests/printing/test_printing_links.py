"""The connections: what the printer says about itself over the network, a serial
printer on a pseudo-terminal, a USB printer found by its ids, a CUPS queue."""

from __future__ import annotations

import contextlib
import os
import select
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printing.connections import (
    CupsLink,
    LeaseRunOut,
    NetworkLink,
    Printout,
    find_usb_printer,
)
from printing.printers import CupsTarget, NetworkTarget, parse_printer
from printing.status import Condition, query_condition
from printing.worker import PrintWorker
from tests.fakes.tcp_printer import ANSWERS, DLE, FakeNetworkPrinter, command_length, read
from tests.printing.printing_support import HALL, enqueue
from tests.printing.test_printing_worker import PROFILE


@pytest.mark.parametrize(
    ("mode", "condition"),
    [
        ("online", Condition.ONLINE),
        ("paper_low", Condition.PAPER_LOW),
        ("paper_out", Condition.PAPER_OUT),
        ("cover_open", Condition.COVER_OPEN),
        ("offline", Condition.OFFLINE),
        ("silent", Condition.UNKNOWN),
    ],
)
def test_the_printer_status_is_read_from_its_answers(
    printer: FakeNetworkPrinter, mode: str, condition: Condition
) -> None:
    printer.mode = mode
    link = NetworkLink(NetworkTarget("127.0.0.1", printer.port), 1.0, 0.2)
    link.open()
    try:
        assert query_condition(link) is condition
    finally:
        link.close()
    assert condition.can_print == (mode in ("online", "paper_low", "silent"))


def test_a_printer_that_is_off_cannot_be_reached(printer: FakeNetworkPrinter) -> None:
    printer.go_away()
    with pytest.raises(OSError):
        NetworkLink(NetworkTarget("127.0.0.1", printer.port), 1.0, 0.2).open()


class Until:
    """A fence: this process may send to the printer until `at` (time.monotonic())."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()


def test_a_send_that_would_outlast_its_fence_is_cut_and_nothing_follows(
    printer: FakeNetworkPrinter,
) -> None:
    printer.take_slowly(6000)  # a 30 KB slip takes five seconds
    link = NetworkLink(NetworkTarget("127.0.0.1", printer.port), 1.0, 0.5)
    fence = Until(1.0)
    link.open(fence)
    with pytest.raises(LeaseRunOut):
        link.send(Printout(1, "ticket", b"\x1b@" + b"x" * 30_000 + b"\x1dV\x00", bytes))
    cut_at = time.monotonic()
    assert fence.left() <= 0 and link.sock is None
    [torn] = printer.jobs()
    assert len(torn) < 30_000 and read(torn, PROFILE)[0].cuts == 0  # torn off, never cut
    # Only what the printer's small input buffer already held came in after the cut.
    [connection] = printer.connection_log
    assert connection.last_at - cut_at < 1.0


def test_a_link_whose_fence_is_over_does_not_even_connect(
    printer: FakeNetworkPrinter, tmp_path: Path
) -> None:
    over = Until(0)
    with pytest.raises(LeaseRunOut):
        NetworkLink(NetworkTarget("127.0.0.1", printer.port), 1.0, 0.2).open(over)
    assert not printer.accepted(1, timeout_s=0.5)
    cups = CupsLink(CupsTarget("tm20"), lp=str(tmp_path / "lp-never-run"))
    cups.open(over)
    with pytest.raises(LeaseRunOut):
        cups.send(Printout(1, "ticket", b"x", bytes))


class SerialPrinter:
    """A printer on the far side of a serial line (a pseudo-terminal): it answers status
    queries and keeps what it is sent."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                pending += os.read(self.master, 65536)
            except OSError:
                return
            i = 0
            while i < len(pending):
                if pending[i] in (0x1B, 0x1D, DLE):
                    n = command_length(pending, i)
                    if n is None:
                        break
                    if pending[i] == DLE:
                        os.write(self.master, bytes([ANSWERS["online"][pending[i + 2]]]))
                    else:
                        self.data += pending[i : i + n]
                    i += n
                else:
                    self.data.append(pending[i])
                    i += 1
            pending = pending[i:]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def serial_printer() -> Iterator[SerialPrinter]:
    fake = SerialPrinter()
    yield fake
    fake.close()


async def test_a_serial_printer_prints_a_queued_slip(
    store, accounts, clock, serial_printer: SerialPrinter
) -> None:
    config = parse_printer(
        "counter", {"kind": "serial", "device": serial_printer.path, "baudrate": 19200}
    )
    payload = {
        "language": "sr-Latn",
        "hall": HALL.as_json(),
        "ticket": "B007",
        "service": "service.help",
        "issued_at": clock().isoformat(),
        "ahead": 0,
    }
    job_id = await enqueue(store, "t1", "counter", "ticket", payload)
    worker = PrintWorker(store, {"counter": config}, accounts, clock)
    report = await worker.run_once()
    assert report.printed == [job_id]
    assert worker.conditions()["counter"] is Condition.ONLINE
    # The printer answered the status query sent after the slip: it has every byte.
    [slip] = read(bytes(serial_printer.data), "default")
    assert slip.cuts == 1 and any(line.strip() == "B007" for line in slip.lines)


def test_a_usb_printer_is_found_by_its_vendor_and_product(tmp_path: Path) -> None:
    device = tmp_path / "devices" / "usb1" / "1-1"
    interface = device / "1-1:1.0"
    interface.mkdir(parents=True)
    (device / "idVendor").write_text("04b8\n")
    (device / "idProduct").write_text("0e15\n")
    lp = tmp_path / "class" / "usbmisc" / "lp0"
    lp.mkdir(parents=True)
    (lp / "device").symlink_to(interface)
    assert find_usb_printer(0x04B8, 0x0E15, sysfs=tmp_path) == Path("/dev/usb/lp0")
    assert find_usb_printer(0x0416, 0x5011, sysfs=tmp_path) is None


def test_a_cups_queue_gets_the_raw_bytes(tmp_path: Path) -> None:
    lp = tmp_path / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/job\n')
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    link = CupsLink(CupsTarget("tm20"), lp=str(lp))
    data = b"\x1b@hello\n\x1dV\x00"
    link.send(Printout(3, "ticket", data, bytes))
    assert (tmp_path / "job").read_bytes() == data
    assert (tmp_path / "args").read_text().split() == [
        "-d",
        "tm20",
        "-o",
        "raw",
        "-t",
        "000003-ticket",
    ]
    assert not link.answers_status  # CUPS cannot tell paper from cover: status "unknown"


def test_without_cups_installed_the_queue_is_unreachable(tmp_path: Path) -> None:
    link = CupsLink(CupsTarget("tm20"), lp=str(tmp_path / "no-lp"))
    with pytest.raises(OSError):
        link.send(Printout(1, "ticket", b"x", bytes))
