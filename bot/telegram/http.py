"""PTB's HTTP requests on one aiohttp session: keep-alive connections, JSON bodies.

PTB's default backend (httpx over httpcore and anyio) spends more CPU per call than the
Bot API server we talk to: it checks every pooled connection's socket on every request
and form-encodes each parameter as JSON of its own. aiohttp is already our web server;
one session per request object keeps its connections open between calls (HTTP/1.1
keep-alive) and the body is one JSON document. Telegram's answers are mapped to PTB's
errors by PTB itself (BaseRequest.post), so callers see what they saw before.

`call(method, params)` posts a Bot API method and returns the `result` JSON as it came,
for the calls where nobody reads PTB's objects (sending a reply, getUpdates whose updates
are mostly known already).
"""

from __future__ import annotations

import json
from typing import IO, Any

import aiohttp
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        base_url: str,
        connections: int,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self.base_url = base_url  # https://api.telegram.org/bot<token>

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connections, keepalive_timeout=60.0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                auto_decompress=True,
                skip_auto_headers=("Accept-Encoding",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        read_timeout: float | None = None,
        files: dict[str, InputFile] | None = None,
    ) -> Any:
        """A Bot API method with JSON-ready parameters (None: left out) and files; its
        result as JSON. Raises PTB's errors (RetryAfter, Forbidden, BadRequest,
        NetworkError, ...), as Bot's methods do."""
        # PTB's RequestParameter (internal to PTB, pinned at 22.8): a name, a JSON value
        # and the files that go with it
        parameters = [RequestParameter(n, v, None) for n, v in params.items() if v is not None]
        parameters += [RequestParameter(n, None, [f]) for n, f in (files or {}).items()]
        data = RequestData(parameters)
        timeout = self.DEFAULT_NONE if read_timeout is None else read_timeout
        return await self.post(f"{self.base_url}/{method}", data, read_timeout=timeout)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        if read_timeout is BaseRequest.DEFAULT_NONE:
            read_timeout = self._read_timeout
        if connect_timeout is BaseRequest.DEFAULT_NONE:
            connect_timeout = self._connect_timeout
        if write_timeout is BaseRequest.DEFAULT_NONE:
            write_timeout = self._media_write_timeout if files else self._write_timeout
        # aiohttp has no write timeout of its own: an upload's time counts as reading
        if files and read_timeout is not None and write_timeout is not None:
            read_timeout = max(read_timeout, write_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files and request_data is not None:
            body = _multipart(request_data, files)
        elif request_data is not None:
            body, headers = json.dumps(request_data.parameters).encode(), _JSON
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _multipart(
    request_data: RequestData, files: dict[str, tuple[str, bytes | IO[bytes], str]]
) -> aiohttp.FormData:
    """The parameters as form fields (objects as JSON), the files as parts of their own."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        data = content if isinstance(content, bytes) else content.read()
        form.add_field(name, data, filename=filename, content_type=mime)
    return form
