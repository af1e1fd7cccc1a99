"""HTTP/1.1 keep-alive connections to the Bot API server: POST a body, read the answer.

The Telegram channel makes two or three Bot API calls for every update it handles. A
general HTTP client (httpx, aiohttp) spends 90 µs or more of CPU on each (cookies,
redirects, proxies, hooks, a timer per read); the engine spends about 130 µs on the whole
message. The Bot API needs none of that: one server, POST with a body, an answer with a
Content-Length (or chunked). So this module keeps a few connections open (TLS for https)
and writes each request as one buffer; a call costs about 40 µs.

One request at a time per connection; up to `limit` connections, then callers wait for a
free one. A connection the server closed while idle is dropped; one it closed as the
request went out, before any byte of the answer, is retried once on a new connection (the
server never read the request). Connections idle for IDLE_S are closed first.
"""

from __future__ import annotations

import asyncio
import math
import re
import ssl
import time
from collections import deque
from urllib.parse import urlsplit

IDLE_S = 30.0  # closed before the server's keep-alive would close them under us
SWEEP_S = 0.25  # how often answers are checked against their deadline
_HEADERS_MAX = 64 * 1024
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)


class WireError(Exception):
    """The server could not be reached, or answered something that is not HTTP."""


class _Stale(WireError):
    """The connection was closed before any byte of the answer came."""


class Connections:
    def __init__(self, base_url: str, *, limit: int, user_agent: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        self.host = parts.hostname
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.base_path = parts.path.rstrip("/")
        default_port = self.port == (443 if self.tls else 80)
        host = self.host if default_port else f"{self.host}:{self.port}"
        self._head = f"Host: {host}\r\nUser-Agent: {user_agent}\r\nAccept: application/json\r\n"
        self._ssl = ssl.create_default_context() if self.tls else None
        self._free = asyncio.Semaphore(limit)
        self._idle: deque[tuple[float, _Connection]] = deque()
        self._open: set[_Connection] = set()
        self._sweeper: asyncio.TimerHandle | None = None

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        connect_timeout: float | None,
        read_timeout: float | None,
    ) -> tuple[int, bytes]:
        """The status and body of the answer to POST base_path/path. Raises WireError, or
        TimeoutError when connecting or the answer takes longer than the timeouts."""
        request = (
            f"POST {self.base_path}/{path} HTTP/1.1\r\n{self._head}"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        async with self._free:
            connection, reused = self._idle_connection(), True
            if connection is None:
                connection, reused = await self._connect(connect_timeout), False
            self._watch()
            try:
                answer = await connection.exchange(request, read_timeout)
            except _Stale:
                if not reused:
                    raise
                connection = await self._connect(connect_timeout)
                answer = await connection.exchange(request, read_timeout)
            if connection.reusable:
                self._idle.append((time.monotonic(), connection))
            else:
                connection.close()
            return answer

    def _idle_connection(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            since, connection = self._idle.pop()
            if connection.reusable and now - since < IDLE_S:
                return connection
            connection.close()
        return None

    async def _connect(self, within_s: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(within_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self._open),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self.tls else None,
                )
        except OSError as exc:
            raise WireError(f"cannot connect: {type(exc).__name__}") from None
        return connection

    def _watch(self) -> None:
        """Answers that do not come by their deadline fail with TimeoutError: one timer
        for every connection, a few times a second, rather than one per request."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_S, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        now = asyncio.get_running_loop().time()
        waiting = False
        for connection in list(self._open):
            waiting |= connection.expire(now)
        if waiting:
            self._watch()

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for connection in list(self._open):
            connection.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports close


class _Connection(asyncio.Protocol):
    """One connection; its answers read with a small parser (status, headers, body)."""

    def __init__(self, registry: set[_Connection]) -> None:
        self._registry = registry
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed = False
        self._keep_alive = True
        self._deadline = math.inf

    @property
    def reusable(self) -> bool:
        return not self._closed and self._keep_alive and self._answer is None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._registry.add(self)

    async def exchange(self, request: bytes, within_s: float | None) -> tuple[int, bytes]:
        """The answer to the request; TimeoutError when it takes longer than within_s
        (give or take SWEEP_S)."""
        if self._closed or self._transport is None:
            raise _Stale("closed")
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        self._answer = answer
        self._deadline = math.inf if within_s is None else loop.time() + within_s
        self._transport.write(request)
        try:
            return await answer
        except BaseException:
            self.close()  # what comes next on it would be the answer to this request
            raise
        finally:
            self._answer = None

    def expire(self, now: float) -> bool:
        """Fail an answer past its deadline; True while one is still awaited."""
        answer = self._answer
        if answer is None or answer.done():
            return False
        if now < self._deadline:
            return True
        answer.set_exception(TimeoutError())
        return False

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._answer is None or self._answer.done():
            if len(self._buffer) > _HEADERS_MAX:
                self.close()
            return
        try:
            parsed = _parse(self._buffer, eof=False)
        except WireError as exc:
            self._answer.set_exception(exc)
            self.close()
            return
        if parsed is not None:
            status, body, used, keep_alive = parsed
            del self._buffer[:used]
            self._keep_alive = keep_alive
            self._answer.set_result((status, body))

    def eof_received(self) -> bool | None:
        self._settle_at_close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._settle_at_close()
        self._closed = True
        self._registry.discard(self)

    def _settle_at_close(self) -> None:
        answer = self._answer
        if answer is None or answer.done():
            self._closed = True
            return
        if not self._buffer:
            answer.set_exception(_Stale("closed before the answer"))
        else:
            try:
                parsed = _parse(self._buffer, eof=True)
            except WireError as exc:
                answer.set_exception(exc)
            else:
                if parsed is None:
                    answer.set_exception(WireError("closed in the middle of the answer"))
                else:
                    answer.set_result((parsed[0], parsed[1]))
        self._closed = True

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()


def _parse(buffer: bytearray, *, eof: bool) -> tuple[int, bytes, int, bool] | None:
    """(status, body, bytes used, keep-alive) once a whole answer is in the buffer."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > _HEADERS_MAX:
            raise WireError("answer headers too long")
        return None
    head = bytes(buffer[: end + 2])  # every header line then starts after a \r\n
    if not head.startswith(b"HTTP/1.") or not head[9:12].isdigit():
        raise WireError("not an HTTP answer")
    status = int(head[9:12])
    keep_alive = head.startswith(b"HTTP/1.1") and _CLOSE.search(head) is None
    start = end + 4
    if _CHUNKED.search(head):
        chunked = _chunked(buffer, start)
        return None if chunked is None else (status, chunked[0], chunked[1], keep_alive)
    length = _LENGTH.search(head)
    if length is not None:
        stop = start + int(length.group(1))
        return None if len(buffer) < stop else (status, bytes(buffer[start:stop]), stop, keep_alive)
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", start, keep_alive
    # no length given: the answer ends when the server closes the connection
    return (status, bytes(buffer[start:]), len(buffer), False) if eof else None


def _chunked(buffer: bytearray, at: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buffer[at:line_end]).split(b";", 1)[0], 16)
        except ValueError:
            raise WireError("bad chunk size") from None
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", at - 2)
            return None if trailer_end < 0 else (bytes(body), trailer_end + 4)
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at : at + size]
        at += size + 2
