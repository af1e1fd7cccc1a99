"""A network receipt printer on 127.0.0.1, like one listening on port 9100, and a reader
of the ESC/POS bytes it receives.

The printer takes ESC/POS bytes on a socket, answers DLE EOT status queries in real time
(as configured: online, paper low, paper out, cover open, offline, or not at all), can drop
a connection in the middle of a job, can go away (connections refused) and come back on
the same port, and records what each connection sent apart from the status queries. It
can be slow: slow to answer its status, slow to take what it is sent (a small input buffer,
read at a set rate), so a slip takes seconds to send.

The reader reads the bytes back the way a printer would: code page switches, text decoded
in the page selected at that moment, raster images, native QR codes, feeds and cuts. It is
written from the ESC/POS command reference, independent of the code under test; the code
page numbers come from python-escpos' printer database.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from escpos.capabilities import CAPABILITIES
from PIL import Image, ImageOps

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A

# Commands with a fixed length (the command bytes and their parameters).
_FIXED = {
    (ESC, ord("@")): 2,
    (ESC, ord("2")): 2,
    **{(ESC, ord(c)): 3 for c in "taE!-MdJ3{GVR"},
    **{(GS, ord(c)): 3 for c in "!Bb"},
    (DLE, 0x04): 3,
}


class UnknownCommand(ValueError):
    pass


def command_length(buf: bytes, i: int) -> int | None:
    """Length of the command starting at buf[i]; None if buf ends before it does."""
    if i + 1 >= len(buf):
        return None
    key = (buf[i], buf[i + 1])
    if key in _FIXED:
        n = _FIXED[key]
        return n if i + n <= len(buf) else None
    if key == (GS, ord("V")):
        if i + 2 >= len(buf):
            return None
        return 3 if buf[i + 2] in (0, 1, 48, 49) else (4 if i + 3 < len(buf) else None)
    if key == (GS, ord("v")):
        if i + 8 > len(buf):
            return None
        width_bytes = buf[i + 4] + 256 * buf[i + 5]
        height = buf[i + 6] + 256 * buf[i + 7]
        n = 8 + width_bytes * height
        return n if i + n <= len(buf) else None
    if key == (GS, ord("(")):
        if i + 5 > len(buf):
            return None
        n = 5 + buf[i + 3] + 256 * buf[i + 4]
        return n if i + n <= len(buf) else None
    raise UnknownCommand(f"unknown command {buf[i : i + 3]!r} at {i}")


@dataclass
class Raster:
    image: Image.Image  # black dots are black (0), as printed


@dataclass
class NativeQr:
    payload: str
    module: int
    ec: int


@dataclass
class Feed:
    dots: int


@dataclass
class Printed:
    """What one slip put on paper: the text rows, images and codes, in order."""

    lines: list[str] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)  # each text line's width in dots
    pages: list[str] = field(default_factory=list)  # encodings selected, in order
    rasters: list[Raster] = field(default_factory=list)
    qrs: list[NativeQr] = field(default_factory=list)
    cuts: int = 0
    items: list[object] = field(default_factory=list)  # lines (str), Raster, NativeQr, Feed
    raw_text: bytes = b""  # every byte printed as text

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def code_tables(profile: str) -> dict[int, str]:
    tables = CAPABILITIES["profiles"][profile].get("codePages", {})
    encodings = CAPABILITIES["encodings"]
    out = {0: "cp437"}
    for number, name in tables.items():
        codec = encodings.get(name, {}).get("python_encode")
        if codec:
            out[int(number)] = codec
    return out


def read(data: bytes, profile: str = "default") -> list[Printed]:
    """The slips in a byte stream, split at each cut (the tail after the last cut, if
    anything was printed there, is a slip of its own without a cut)."""
    tables = code_tables(profile)
    slips: list[Printed] = []
    slip = Printed()
    table = 0
    width_factor = 1
    line = ""
    qr_payload, qr_module, qr_ec = "", 3, 48
    i = 0

    def end_line() -> None:
        nonlocal line
        slip.lines.append(line)
        slip.widths.append(len(line) * 12 * width_factor)
        slip.items.append(line)
        line = ""

    while i < len(data):
        b = data[i]
        if b == LF:
            end_line()
            i += 1
            continue
        if b in (ESC, GS, DLE):
            n = command_length(data, i)
            if n is None:
                raise ValueError(f"truncated command at {i}")
            cmd, arg = data[i + 1], data[i + 2 : i + n]
            if b == ESC and cmd == ord("@"):
                table, width_factor = 0, 1
            elif b == GS and cmd == ord("!"):
                width_factor = (arg[0] >> 4) + 1
            elif b == ESC and cmd == ord("J"):
                slip.items.append(Feed(arg[0]))
            elif b == ESC and cmd == ord("t"):
                table = arg[0]
                if table not in tables:
                    raise ValueError(f"code table {table} is not in the profile {profile}")
                slip.pages.append(tables[table])
            elif b == GS and cmd == ord("V"):
                slip.cuts += 1
                slips.append(slip)
                slip = Printed()
            elif b == GS and cmd == ord("v"):
                wb, h = arg[2] + 256 * arg[3], arg[4] + 256 * arg[5]
                bits = Image.frombytes("1", (wb * 8, h), bytes(arg[6:]))
                image = ImageOps.invert(bits.convert("L"))  # a set bit is a black dot
                slip.rasters.append(Raster(image))
                slip.items.append(slip.rasters[-1])
            elif b == GS and cmd == ord("("):  # GS ( k pL pH cn fn [parameters]
                cn, fn, params = arg[3], arg[4], bytes(arg[5:])
                if (cn, fn) == (49, 67):
                    qr_module = params[0]
                elif (cn, fn) == (49, 69):
                    qr_ec = params[0]
                elif (cn, fn) == (49, 80):
                    qr_payload = params[1:].decode("utf-8")  # after m = 48
                elif (cn, fn) == (49, 81):
                    slip.qrs.append(NativeQr(qr_payload, qr_module, qr_ec))
                    slip.items.append(slip.qrs[-1])
            i += n
            continue
        if b < 0x20:
            raise ValueError(f"unexpected control byte {b:#x} at {i}")
        start = i
        while i < len(data) and data[i] >= 0x20:
            i += 1
        chunk = data[start:i]
        slip.raw_text += chunk
        line += chunk.decode(tables[table])
    if line:
        end_line()
    if slip.lines or slip.rasters or slip.qrs:
        slips.append(slip)
    return slips


ANSWERS: dict[str, dict[int, int]] = {
    "online": {1: 0x12, 2: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 4: 0x12 | 0x0C},
    "paper_out": {1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60},
    "cover_open": {1: 0x12 | 0x08, 2: 0x12 | 0x04, 4: 0x12},
    "offline": {1: 0x12 | 0x08, 2: 0x12 | 0x40, 4: 0x12},
}


@dataclass(frozen=True)
class Connection:
    """One connection to the printer, what it sent to print, and when its first and last
    bytes came (monotonic seconds; a sender that waits for the status answer after a slip
    has sent everything before `last_at`)."""

    number: int
    first_at: float
    last_at: float
    data: bytes


class FakeNetworkPrinter:
    def __init__(self, mode: str = "online") -> None:
        self.mode = mode  # a key of ANSWERS, or "silent"
        self.drop: dict[int, int] = {}  # connection number (from 1) -> drop after n bytes
        # Connection numbers on which the printer hangs once a slip's bytes came: it
        # answers no status query after them (`hung` is set when it does).
        self.hang: set[int] = set()
        self.hung = threading.Event()
        self.answer_delay_s = 0.0  # how long it takes to answer a status query
        self.intake_bytes_per_s: float | None = None  # None: as fast as they come (take_slowly)
        # Told (connection number, slip bytes so far) as a slip's bytes come in.
        self.receiving: Callable[[int, int], None] | None = None
        self.connections = 0
        # per connection, in the order they came: the bytes to print (when it has ended)
        self.received: list[bytes] = []
        self.connection_log: list[Connection] = []  # the same, with when each was open
        self.queries: list[int] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._connection_threads: list[threading.Thread] = []
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeNetworkPrinter:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self._small_buffer(listener)
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def take_slowly(self, bytes_per_s: float) -> None:
        """From the next connection on, the printer has a small input buffer and takes
        `bytes_per_s` from it, so a sender has to wait for it (TCP's window)."""
        self.intake_bytes_per_s = bytes_per_s
        if self._listener is not None:
            self._small_buffer(self._listener)

    def _small_buffer(self, listener: socket.socket) -> None:
        # On the listener, before a connection comes: its window is small from the start.
        if self.intake_bytes_per_s is not None:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)

    def go_away(self) -> None:
        """Switched off: the port refuses connections."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread up
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def come_back(self) -> None:
        self.start()

    def stop(self) -> None:
        self.go_away()
        for thread in self._threads + self._connection_threads:
            thread.join(timeout=5)

    # -- what it printed ---------------------------------------------------------------

    def accepted(self, connections: int, timeout_s: float = 10.0) -> bool:
        """Wait until this many connections were taken in (a closed connection can wait in
        the listen backlog a while on a busy machine); False if they never were."""
        deadline = time.monotonic() + timeout_s
        while self.connections < connections:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def overlaps(self) -> list[tuple[int, int]]:
        """Pairs of connections that sent a slip's bytes at the same time: the second one's
        first byte came before the first one's last (status queries included)."""
        with self._lock:
            busy = sorted((c for c in self.connection_log if c.data), key=lambda c: c.first_at)
        return [(a.number, b.number) for a, b in itertools.pairwise(busy) if b.first_at < a.last_at]

    def jobs(self) -> list[bytes]:
        """What each connection sent to print (connections that sent nothing left out),
        once every connection the senders closed has been read to its end."""
        for thread in list(self._connection_threads):
            thread.join(timeout=5)
        with self._lock:
            return [data for data in self.received if data]

    def complete_slips(self, profile: str) -> list[Printed]:
        """The slips that came out whole: a connection's bytes up to and with the cut.
        A connection cut off mid-job leaves a torn, uncut fragment, not a slip."""
        slips: list[Printed] = []
        for data in self.jobs():
            try:
                printed = read(data, profile)
            except ValueError:
                continue  # cut off inside a command
            slips += [p for p in printed if p.cuts]
        return slips

    # -- the printer -----------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            self.connections += 1
            drop = self.drop.pop(self.connections, None)
            hang = self.connections in self.hang
            number = self.connections
            with self._lock:
                index = len(self.received)
                self.received.append(b"")
            thread = threading.Thread(
                target=self._serve, args=(conn, index, drop, hang, number), daemon=True
            )
            thread.start()
            self._connection_threads.append(thread)

    def _serve(
        self, conn: socket.socket, index: int, drop: int | None, hang: bool, number: int
    ) -> None:
        data = bytearray()
        pending = b""
        first_at = last_at = 0.0
        rate = self.intake_bytes_per_s
        try:
            while True:
                try:
                    chunk = conn.recv(65536 if rate is None else 1024)
                except OSError:
                    break
                if not chunk:
                    break
                last_at = time.monotonic()
                first_at = first_at or last_at
                pending += chunk
                pending = self._consume(conn, pending, data, hang)
                if self.receiving is not None and data:
                    self.receiving(number, len(data))
                if rate is not None:
                    time.sleep(len(chunk) / rate)
                if drop is not None and len(data) >= drop:
                    del data[drop:]  # the rest never reached the paper
                    # RST instead of FIN: the sender learns the hard way
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self.received[index] = bytes(data)
                self.connection_log.append(Connection(number, first_at, last_at, bytes(data)))

    def _consume(
        self, conn: socket.socket, pending: bytes, data: bytearray, hang: bool = False
    ) -> bytes:
        """Answer the status queries as they arrive; keep the rest as printed data.
        Returns what is left of an incomplete command at the end."""
        i = 0
        while i < len(pending):
            if pending[i] in (0x1B, 0x1D, DLE):
                n = command_length(pending, i)
                if n is None:
                    break
                if pending[i] == DLE and hang and data:
                    self.hung.set()  # the slip came in; the printer says nothing more
                elif pending[i] == DLE:
                    self._answer(conn, pending[i + 2])
                else:
                    data += pending[i : i + n]
                i += n
            else:
                data.append(pending[i])
                i += 1
        return pending[i:]

    def _answer(self, conn: socket.socket, n: int) -> None:
        self.queries.append(n)
        if self.mode == "silent":
            return
        time.sleep(self.answer_delay_s)
        with contextlib.suppress(OSError):
            conn.sendall(bytes([ANSWERS[self.mode][n]]))
