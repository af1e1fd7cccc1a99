"""One canned Bot API for `make bench`'s "through Telegram" passes, and the clients' hooks to it.

Every call succeeds at once with the body Telegram would send (a Message for sendMessage and
the edits, the bot for getMe, `true` for the rest), as bytes. Each client still does its own
work on both sides of the wire: python-telegram-bot (the PTB peer, and our channel, which
sends through PTB's Bot) encodes the request's parameters as its HTTP client would and
parses the answer; aiogram builds the form its aiohttp session would post and parses and
validates the answer. Only the network and the HTTP client stack are left out, for all
three alike. Every call is counted, so the report can show that all three make the same
calls per message.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncGenerator
from typing import Any, cast

from telegram.request import BaseRequest, RequestData

from bench.dialogue import BOT_ID, NOW

TOKEN = "123456:bench"
ME = {"id": BOT_ID, "is_bot": True, "first_name": "eCitizen", "username": "ecitizen_bot"}
_MESSAGE = {
    "message_id": 1,
    "date": int(NOW.timestamp()),
    "chat": {"id": 1, "type": "private", "first_name": "Citizen"},
    "from": ME,
    "text": "ok",
}
_BODIES: dict[str, bytes] = {
    "getMe": json.dumps({"ok": True, "result": ME}).encode(),
    "sendMessage": json.dumps({"ok": True, "result": _MESSAGE}).encode(),
    "editMessageText": json.dumps({"ok": True, "result": _MESSAGE}).encode(),
    "editMessageReplyMarkup": json.dumps({"ok": True, "result": _MESSAGE}).encode(),
}
_TRUE = json.dumps({"ok": True, "result": True}).encode()

CALLS: Counter[str] = Counter()  # Bot API method -> calls, since the last reset


def answer(method: str) -> bytes:
    """What Telegram answers a successful call of `method`."""
    CALLS[method] += 1
    return _BODIES.get(method, _TRUE)


class CannedRequest(BaseRequest):
    """PTB's transport, answered by the canned Bot API. The parameters are encoded as
    PTB's HTTPXRequest encodes them before it posts (JSON per field, or multipart)."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if request_data is not None:
            if request_data.contains_files:
                _ = request_data.multipart_data
            else:
                _ = request_data.json_parameters
        return 200, answer(url.rsplit("/", 1)[-1])


class CannedWire:
    """bot/telegram's own Bot API client, where it has one (its keep-alive connections,
    bot/telegram/wire.py), answered by the canned Bot API: the client still builds every
    body and reads every answer."""

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> tuple[int, bytes]:
        return 200, answer(path.rsplit("/", 1)[-1])

    async def close(self) -> None:
        return None


def canned_aiogram_session() -> Any:
    """aiogram's AiohttpSession with the network replaced by the canned Bot API: the form
    is built and encoded as it would be posted, the answer parsed and validated by
    aiogram's own check_response."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType

    class CannedSession(AiohttpSession):
        async def make_request(
            self,
            bot: Bot,
            method: TelegramMethod[TelegramType],
            timeout: int | None = None,  # noqa: ASYNC109 (BaseSession's signature)
        ) -> TelegramType:
            self.api.api_url(token=bot.token, method=method.__api_method__)
            form = self.build_form_data(bot=bot, method=method)
            form()  # the encoded body aiohttp would post
            content = answer(method.__api_method__).decode()
            response = self.check_response(bot=bot, method=method, status_code=200, content=content)
            return cast(TelegramType, response.result)

        async def stream_content(
            self,
            url: str,
            headers: dict[str, Any] | None = None,
            timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
            chunk_size: int = 65536,
            raise_for_status: bool = True,
        ) -> AsyncGenerator[bytes, None]:
            yield b""

    return CannedSession()
