"""Connections to printers: a TCP socket (port 9100), a serial or USB character device,
a CUPS queue, or a folder. All blocking; the worker calls them through asyncio.to_thread.

A link is opened per slip: status asked, slip sent, status asked again, closed. Any
OSError means the printer could not be reached or dropped the connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
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

    def open(self) -> None: ...

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

    def open(self) -> None:
        address = (self.target.host, self.target.port)
        self.sock = socket.create_connection(address, timeout=self.connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise OSError("not connected")
        return self.sock

    def query(self, n: int) -> int | None:
        sock = self._socket()
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while sock.recv(256):  # stale answers from earlier (automatic status, echoes)
                pass
        sock.settimeout(WRITE_TIMEOUT)
        sock.sendall(DLE_EOT + bytes([n]))
        sock.settimeout(self.status_timeout)
        try:
            answer = sock.recv(1)
        except TimeoutError:
            return None
        if not answer:
            raise ConnectionResetError("the printer closed the connection")
        return answer[0]

    def send(self, printout: Printout) -> None:
        sock = self._socket()
        sock.settimeout(WRITE_TIMEOUT)
        sock.sendall(printout.data)

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


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

    def open(self) -> None:
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
        if not select.select([fd], [], [], self.status_timeout)[0]:
            return None
        try:
            answer = os.read(fd, 1)
        except BlockingIOError:
            return None
        return answer[0] if answer else None

    def send(self, printout: Printout) -> None:
        self._write(self._fd(), printout.data)

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_TIMEOUT
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError("the printer takes no more data")
            try:
                view = view[os.write(fd, view) :]
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

    def open(self) -> None:
        pass

    def query(self, n: int) -> int | None:
        return None

    def send(self, printout: Printout) -> None:
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

    def open(self) -> None:
        self.target.directory.mkdir(parents=True, exist_ok=True)

    def query(self, n: int) -> int | None:
        return None

    def send(self, printout: Printout) -> None:
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
