"""Telegram as the shared sender's transport: one message posted to the Bot API.

Telegram's answers become the shared sender's outcomes: 429 is Throttled (retry_after),
403 (the person blocked the bot) or a chat that does not exist is RecipientGone, network
trouble is NetworkTrouble. A QR code goes as a photo, drawn off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.pacing import ChatId
from bot.qr import qr_png
from bot.sending import NetworkTrouble, Throttled
from bot.telegram.http import BotApiRequest
from bot.telegram.render import TelegramMessage
from flows.engine.channel_ports import RecipientGone

# PTB 22 warns on every 429 that RetryAfter.retry_after becomes a timedelta; we opt in to
# that now (read per access, so setting it here is early enough) and read both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")

_NO_PREVIEW = {"is_disabled": True}  # LinkPreviewOptions
_CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid")


class TelegramTransport:
    def __init__(self, request: BotApiRequest) -> None:
        self._request = request

    async def post(self, chat_id: ChatId, message: TelegramMessage) -> Sent:
        assert isinstance(chat_id, int)
        try:
            return await self._post(chat_id, message)
        except RetryAfter as exc:
            raise Throttled(retry_after_seconds(exc), "Telegram rate limit") from None
        except Forbidden:
            raise RecipientGone("the user blocked the bot") from None
        except BadRequest as exc:
            if any(gone in exc.message.lower() for gone in _CHAT_GONE):
                raise RecipientGone("the chat does not exist") from None
            raise
        except NetworkError as exc:
            raise NetworkTrouble(type(exc).__name__) from None

    async def _post(self, chat_id: int, message: TelegramMessage) -> Sent:
        if message.qr is not None:
            png = await asyncio.to_thread(qr_png, message.qr)
            params: dict[str, Any] = {"chat_id": chat_id, "reply_markup": message.markup}
            if message.text:
                params |= {"caption": message.text, "parse_mode": ParseMode.HTML.value}
            photo = {"photo": InputFile(png, filename="qr.png", attach=False)}
            await self._request.call("sendPhoto", params, files=photo, result=False)
            return SENT
        params = {
            "chat_id": chat_id,
            "text": message.text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": _NO_PREVIEW,
            "reply_markup": message.markup,
        }
        await self._request.call("sendMessage", params, result=False)
        return SENT


@dataclass(frozen=True, slots=True)
class Sent:
    """A message Telegram accepted. Nothing reads what Telegram answers (the message as
    sent), so the answer is not decoded."""


SENT = Sent()


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is going away; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)
