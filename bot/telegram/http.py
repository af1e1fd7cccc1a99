"""PTB's requests over our own keep-alive connections (bot/telegram/wire.py), JSON bodies.

PTB's default backend (httpx over httpcore and anyio) spent more CPU per call than the
engine spends on a whole message: it checked every pooled connection's socket on every
request and form-encoded each parameter as JSON of its own. PTB lets a program bring its
own BaseRequest: this one posts one JSON document per call (multipart when a file goes
along) over wire.Connections. PTB's Bot methods (getMe, setMyCommands, setWebhook...)
come through do_request and see Telegram's answers as PTB's errors, as before.

`call(method, params)` is the hot path, for the calls made per update (sending a reply,
answering a button, editing a message, getUpdates): the parameters as JSON, the `result`
as it came, Telegram's refusals raised as the same PTB errors, and nothing built in
between.
"""

from __future__ import annotations

import json
import secrets
from http import HTTPStatus
from typing import IO, Any

from telegram import InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

from bot.telegram.wire import Connections, WireError

_JSON = "application/json"
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once


class BotApiRequest(BaseRequest):
    def __init__(
        self,
        *,
        base_url: str,
        connections: int,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")  # https://api.telegram.org/bot<token>
        self._limit = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._wire: Connections | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._wire is None:
            self._wire = Connections(self._base_url, limit=self._limit, user_agent=self.USER_AGENT)

    async def shutdown(self) -> None:
        if self._wire is not None:
            await self._wire.close()
        self._wire = None

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        read_timeout: float | None = None,
        files: dict[str, InputFile] | None = None,
        *,
        result: bool = True,
    ) -> Any:
        """A Bot API method with JSON-ready parameters (None: left out) and files; its
        result as JSON (result=False: None, the answer not even decoded, for calls whose
        answer nobody reads). Raises PTB's errors (RetryAfter, Forbidden, BadRequest,
        NetworkError, ...), as Bot's methods do."""
        params = {name: value for name, value in params.items() if value is not None}
        if files:
            body, kind = _multipart(params, files)
            read_timeout = max(read_timeout or 0.0, self._media_write_timeout or 0.0)
        else:
            body, kind = _json(params), _JSON
        status, payload = await self._post(
            method, body, kind, read_timeout if read_timeout is not None else self._read_timeout
        )
        if not 200 <= status <= 299:
            raise _refusal(status, payload)
        return self.parse_json_payload(payload)["result"] if result else None

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
        """What PTB's own Bot methods go through."""
        if not url.startswith(self._base_url + "/"):
            raise NetworkError("a request outside the Bot API server")
        if read_timeout is BaseRequest.DEFAULT_NONE:
            read_timeout = self._read_timeout
        if request_data is not None and request_data.contains_files:
            fields, files = request_data.json_parameters, request_data.multipart_data
            body, kind = _multipart_parts(fields, files)
            read_timeout = max(read_timeout or 0.0, self._media_write_timeout or 0.0)
        else:
            params = request_data.parameters if request_data is not None else {}
            body, kind = _json(params), _JSON
        return await self._post(url[len(self._base_url) + 1 :], body, kind, read_timeout)

    async def _post(
        self, method: str, body: bytes, kind: str, read_timeout: float | None
    ) -> tuple[int, bytes]:
        if self._wire is None:
            raise RuntimeError("This BotApiRequest is not initialized!")
        try:
            return await self._wire.post(
                method,
                body,
                kind,
                connect_timeout=self._connect_timeout,
                read_timeout=read_timeout,
            )
        except TimeoutError as err:
            raise TimedOut from err
        except WireError as err:
            raise NetworkError(f"Bot API server: {err}") from err


def _json(params: dict[str, Any]) -> bytes:
    return _ENCODER.encode(params).encode()


def _refusal(status: int, payload: bytes) -> TelegramError:
    """Telegram's refusal as the error PTB raises for it (BaseRequest._request_wrapper)."""
    try:
        answer = json.loads(payload)
        description = str(answer.get("description") or HTTPStatus(status).phrase)
        parameters = answer.get("parameters") or {}
    except (ValueError, AttributeError):
        return NetworkError(f"Unknown HTTPError ({status}): the answer is not JSON")
    if parameters.get("migrate_to_chat_id"):
        return ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if parameters.get("retry_after"):
        return RetryAfter(int(parameters["retry_after"]))
    kinds: dict[int, type[TelegramError]] = {
        403: Forbidden,
        401: InvalidToken,
        404: InvalidToken,
        400: BadRequest,
        409: Conflict,
    }
    return kinds.get(status, NetworkError)(description)


def _multipart(params: dict[str, Any], files: dict[str, InputFile]) -> tuple[bytes, str]:
    fields = {name: v if isinstance(v, str) else json.dumps(v) for name, v in params.items()}
    return _multipart_parts(fields, {name: f.field_tuple for name, f in files.items()})


def _multipart_parts(
    fields: dict[str, str], files: dict[str, tuple[str, bytes | IO[bytes], str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body: the fields, then the files."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts += [head.encode(), value.encode(), b"\r\n"]
    for name, (filename, content, mime) in files.items():
        data = content if isinstance(content, bytes) else content.read()
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
        )
        parts += [head.encode(), data, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
