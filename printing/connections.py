"""Connections to printers: a TCP socket (port 9100), a serial or USB character device,
a CUPS queue, or a folder. All blocking; the worker calls them through asyncio.to_thread.

A link is opened per slip: status asked, slip sent, status asked again, closed. Any
OSError means the printer could not be reached or dropped the connection.

A link is opened under a fence: the time its process can still prove it owns the printer
(its lease). No byte goes out once the fence says stop, whatever the event loop is doing:
every write and wait is bounded by it, and a network link then cuts the connection
(RST), so what the kernel still held for the printer is dropped, not sent later. A new
owner starts only after the old lease ran out and a guard after that
(printing/ownership.py).
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import logging
import math
import os
import select
import socket
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from printing.printers import (
    CupsTarget,
    FileTarget,
    NetworkTarget,
    PrinterConfig,
    SerialTarget,
    UsbTarget,
)
from printing.status import DLE_EOT

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 60.0  # a printer that takes no byte for this long is gone
CHUNK = 4096  # bytes written at a time, the fence looked at before each
# What the kernel may hold for a network printer: small, so little is on its way when the
# fence cuts the connection. A slip counts as sent once the printer acknowledged every byte.
SEND_BUFFER = 16384
DRAIN_POLL_S = 0.01  # how often the kernel is asked whether the printer has it all


class LeaseRunOut(Exception):
    """The fence said stop before the link was done: nothing more was sent, and a network
    connection was cut."""


class Fence(Protocol):
    def left(self) -> float:
        """Seconds this process may still send to the printer; zero or less: not a byte."""


class _Unfenced:
    def left(self) -> float:
        return math.inf


UNFENCED: Fence = _Unfenced()  # a test print by hand, with no lease to keep


def still_owned(fence: Fence) -> float:
    """The seconds left under the fence; LeaseRunOut when none are."""
    left = fence.left()
    if left <= 0:
        raise LeaseRunOut("the printer's lease ran out")
    return left


def bounded(fence: Fence, timeout: float) -> float:
    """A wait of at most `timeout` that ends with the fence; LeaseRunOut if it has."""
    return min(timeout, still_owned(fence))


# The file printer's previews are drawn here, one after another, after the slip's bytes
# are kept: drawing one takes several milliseconds of CPU, which neither the print worker
# nor the event loop should wait for. Its thread is joined when the process exits, so a
# preview asked for is written (unless the process is killed).
_PREVIEWS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slip-preview")


@dataclass(frozen=True, slots=True)
class Printout:
    job_id: int
    slip: str
    data: bytes  # the ESC/POS bytes
    preview: Callable[[], bytes]  # the PNG, drawn only for printers that keep it

    @property
    def stem(self) -> str:
        return f"{self.job_id:06d}-{self.slip}"


class Link(Protocol):
    answers_status: bool

    def open(self, fence: Fence = UNFENCED) -> None: ...

    def query(self, n: int) -> int | None: ...

    def send(self, printout: Printout) -> None: ...

    def close(self) -> None: ...


class NetworkLink:
    answers_status = True

    def __init__(self, target: NetworkTarget, connect_timeout: float, status_timeout: float):
        self.target = target
        self.connect_timeout = connect_timeout
        self.status_timeout = status_timeout
        self.sock: socket.socket | None = None
        self.fence = UNFENCED

    def open(self, fence: Fence = UNFENCED) -> None:
        self.fence = fence
        address = (self.target.host, self.target.port)
        timeout = bounded(fence, self.connect_timeout)
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise OSError("not connected")
        return self.sock

    def _bounded(self, timeout: float) -> float:
        try:
            return bounded(self.fence, timeout)
        except LeaseRunOut:
            self.cut()
            raise

    def query(self, n: int) -> int | None:
        sock = self._socket()
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while sock.recv(256):  # stale answers from earlier (automatic status, echoes)
                pass
        self._write(sock, DLE_EOT + bytes([n]))
        sock.settimeout(self._bounded(self.status_timeout))
        try:
            answer = sock.recv(1)
        except TimeoutError:
            self._bounded(self.status_timeout)  # cut off by the fence, or just no answer
            return None
        if not answer:
            raise ConnectionResetError("the printer closed the connection")
        return answer[0]

    def send(self, printout: Printout) -> None:
        """Returns once the printer has taken every byte (the kernel holds none of it)."""
        sock = self._socket()
        deadline = self._write(sock, printout.data)
        while _unsent(sock):
            if time.monotonic() > deadline:
                raise TimeoutError("the printer takes no more data")
            time.sleep(self._bounded(DRAIN_POLL_S))

    def _write(self, sock: socket.socket, data: bytes) -> float:
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_TIMEOUT
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the printer takes no more data")
            sock.settimeout(self._bounded(left))
            with contextlib.suppress(TimeoutError):  # the loop looks at both limits again
                view = view[sock.send(view[:CHUNK]) :]
        return deadline

    def cut(self) -> None:
        """Close with a reset: what the kernel still holds for the printer is dropped."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close()

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


def _unsent(sock: socket.socket) -> int:
    """Bytes the kernel still holds for the peer (sent but not acknowledged, or not sent
    yet); 0 where the system cannot tell."""
    outq = getattr(termios, "TIOCOUTQ", None)
    if outq is None:
        return 0
    count = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), outq, count)
    except OSError:
        return 0
    return count[0]


def find_usb_printer(vendor_id: int, product_id: int, sysfs: Path = Path("/sys")) -> Path | None:
    """The usblp device (/dev/usb/lpN) of the USB printer with these ids, if plugged in."""
    for lp in sorted((sysfs / "class" / "usbmisc").glob("lp*")):
        device = (lp / "device").resolve().parent
        try:
            vendor = int((device / "idVendor").read_text().strip(), 16)
            product = int((device / "idProduct").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        if (vendor, product) == (vendor_id, product_id):
            return Path("/dev/usb") / lp.name
    return None


class DeviceLink:
    """A serial port (the baud rate set with termios) or a USB printer's usblp device."""

    answers_status = True

    def __init__(
        self, path: Callable[[], Path | None], baudrate: int | None, status_timeout: float
    ):
        self.path = path
        self.baudrate = baudrate
        self.status_timeout = status_timeout
        self.fd: int | None = None
        self.fence = UNFENCED

    def open(self, fence: Fence = UNFENCED) -> None:
        self.fence = fence
        still_owned(fence)
        path = self.path()
        if path is None:
            raise FileNotFoundError("the USB printer is not plugged in")
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            if self.baudrate is not None:
                _serial_setup(fd, self.baudrate)
        except (OSError, termios.error) as e:
            os.close(fd)
            raise OSError(f"serial setup failed: {e}") from None
        self.fd = fd

    def _fd(self) -> int:
        if self.fd is None:
            raise OSError("not open")
        return self.fd

    def query(self, n: int) -> int | None:
        fd = self._fd()
        while select.select([fd], [], [], 0)[0]:
            if not os.read(fd, 256):
                break
        self._write(fd, DLE_EOT + bytes([n]))
        if not select.select([fd], [], [], bounded(self.fence, self.status_timeout))[0]:
            still_owned(self.fence)  # cut off by the fence, or just no answer
            return None
        try:
            answer = os.read(fd, 1)
        except BlockingIOError:
            return None
        return answer[0] if answer else None

    def send(self, printout: Printout) -> None:
        self._write(self._fd(), printout.data)

    def _write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_TIMEOUT
        while view:
            left = deadline - time.monotonic()
            try:
                ready = left > 0 and select.select([], [fd], [], bounded(self.fence, left))[1]
            except LeaseRunOut:
                with contextlib.suppress(OSError, termios.error):
                    termios.tcflush(fd, termios.TCOFLUSH)  # a serial line's unsent output
                raise
            if not ready:
                if left <= 0:
                    raise TimeoutError("the printer takes no more data")
                continue
            try:
                view = view[os.write(fd, view[:CHUNK]) :]
            except BlockingIOError:
                continue

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def _serial_setup(fd: int, baudrate: int) -> None:
    speed = getattr(termios, f"B{baudrate}", None)
    if speed is None:
        raise OSError(f"unsupported baud rate {baudrate}")
    _, _, cflag, _, _, _, cc = termios.tcgetattr(fd)
    cflag = (cflag & ~termios.CSIZE & ~termios.PARENB & ~termios.CSTOPB) | termios.CS8
    cflag |= termios.CREAD | termios.CLOCAL
    cc[termios.VMIN], cc[termios.VTIME] = 0, 0
    attrs = [0, 0, cflag, 0, speed, speed, cc]  # raw: no echo, no translation
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class CupsLink:
    """A raw CUPS queue (`lp -o raw`); CUPS tells us nothing of paper or cover."""

    answers_status = False

    def __init__(self, target: CupsTarget, lp: str = "lp"):
        self.target = target
        self.lp = lp
        self.fence = UNFENCED

    def open(self, fence: Fence = UNFENCED) -> None:
        self.fence = fence

    def query(self, n: int) -> int | None:
        return None

    def send(self, printout: Printout) -> None:
        still_owned(self.fence)  # once CUPS has the job, it is on its way
        command = [self.lp, "-d", self.target.queue, "-o", "raw", "-t", printout.stem]
        try:
            subprocess.run(
                command, input=printout.data, capture_output=True, check=True, timeout=WRITE_TIMEOUT
            )
        except FileNotFoundError:
            raise OSError("lp (CUPS) is not installed") from None
        except subprocess.CalledProcessError as e:
            raise OSError(f"lp failed: {e.stderr.decode(errors='replace').strip()}") from None
        except subprocess.TimeoutExpired:
            raise TimeoutError("lp did not finish") from None

    def close(self) -> None:
        pass


def _write_whole(final: Path, content: bytes) -> None:
    """Never a half-written file under the final name."""
    partial = final.with_name(final.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, final)


def _write_preview(final: Path, draw: Callable[[], bytes]) -> None:
    try:
        _write_whole(final, draw())
    except Exception:  # the slip is kept all the same; only its picture is missing
        log.exception("the preview %s could not be written", final.name)


def previews_written(timeout: float | None = None) -> None:
    """Returns once every preview asked for so far is written (they are drawn in order)."""
    _PREVIEWS.submit(lambda: None).result(timeout)


class FileLink:
    """A folder that keeps each slip's ESC/POS bytes (.bin) and its preview (.png),
    drawn a moment later by a thread of its own."""

    answers_status = False

    def __init__(self, target: FileTarget):
        self.target = target
        self.fence = UNFENCED

    def open(self, fence: Fence = UNFENCED) -> None:
        self.fence = fence
        self.target.directory.mkdir(parents=True, exist_ok=True)

    def query(self, n: int) -> int | None:
        return None

    def send(self, printout: Printout) -> None:
        still_owned(self.fence)
        # a reprint keeps the first printout: 000001-credentials.bin, then ...-2.bin
        stem, n = printout.stem, 1
        while (self.target.directory / f"{stem}.bin").exists():
            n += 1
            stem = f"{printout.stem}-{n}"
        _write_whole(self.target.directory / f"{stem}.bin", printout.data)
        _PREVIEWS.submit(_write_preview, self.target.directory / f"{stem}.png", printout.preview)

    def close(self) -> None:
        pass


def link_for(config: PrinterConfig) -> Link:
    target = config.target
    if isinstance(target, NetworkTarget):
        return NetworkLink(target, config.connect_timeout, config.status_timeout)
    if isinstance(target, SerialTarget):
        serial = Path(target.device)
        return DeviceLink(lambda: serial, target.baudrate, config.status_timeout)
    if isinstance(target, UsbTarget):
        if target.device is not None:
            usb = Path(target.device)
            return DeviceLink(lambda: usb, None, config.status_timeout)
        vendor, product = target.vendor_id or 0, target.product_id or 0
        return DeviceLink(lambda: find_usb_printer(vendor, product), None, config.status_timeout)
    if isinstance(target, CupsTarget):
        return CupsLink(target)
    return FileLink(target)
