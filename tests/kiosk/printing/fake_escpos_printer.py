"""A network receipt printer on 127.0.0.1, like one listening on port 9100.

It takes ESC/POS bytes on a socket, answers DLE EOT status queries in real time (as
configured: online, paper low, paper out, cover open, offline, or not at all), can drop a
connection in the middle of a job, can go away (connections refused) and come back on the
same port, and records what each connection sent apart from the status queries.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from escpos_reader import DLE, command_length

ANSWERS: dict[str, dict[int, int]] = {
    "online": {1: 0x12, 2: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 4: 0x12 | 0x0C},
    "paper_out": {1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60},
    "cover_open": {1: 0x12 | 0x08, 2: 0x12 | 0x04, 4: 0x12},
    "offline": {1: 0x12 | 0x08, 2: 0x12 | 0x40, 4: 0x12},
}


class FakeNetworkPrinter:
    def __init__(self, mode: str = "online") -> None:
        self.mode = mode  # a key of ANSWERS, or "silent"
        self.drop_after: int | None = None  # next job: cut the connection after n bytes
        self.received: list[bytes] = []  # per finished connection: the bytes to print
        self.queries: list[int] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeNetworkPrinter:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def go_away(self) -> None:
        """Switched off: the port refuses connections."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def come_back(self) -> None:
        self.start()

    def stop(self) -> None:
        self.go_away()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- what it printed ---------------------------------------------------------------

    def printed(self) -> bytes:
        with self._lock:
            return b"".join(self.received)

    # -- the printer -----------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        data = bytearray()
        pending = b""
        try:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                pending += chunk
                pending = self._consume(conn, pending, data)
                if self.drop_after is not None and len(data) >= self.drop_after:
                    self.drop_after = None
                    # RST instead of FIN: the sender learns the hard way
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self.received.append(bytes(data))

    def _consume(self, conn: socket.socket, pending: bytes, data: bytearray) -> bytes:
        """Answer the status queries as they arrive; keep the rest as printed data.
        Returns what is left of an incomplete command at the end."""
        i = 0
        while i < len(pending):
            if pending[i] in (0x1B, 0x1D, DLE):
                n = command_length(pending, i)
                if n is None:
                    break
                if pending[i] == DLE:
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
        with contextlib.suppress(OSError):
            conn.sendall(bytes([ANSWERS[self.mode][n]]))
