"""Sending rendered messages: paced, in order per chat, retried the way Telegram asks.

One chat's messages go out one at a time in the order they were handed over (a lock per
chat, held across retries), so a reply or a notification never overtakes another to the
same chat. A 429 waits `retry_after` and tries again, network trouble backs off; a
blocked bot (403) or a chat that does not exist is RecipientGone. A caller that cannot
wait longer gets TryLater, with the progress made so it can resume without duplicates.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import qrcode
from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.limiter import SendLimiter
from bot.telegram.render import TelegramMessage
from flows.ports import RecipientGone, TryLater

log = logging.getLogger(__name__)

# PTB 22 warns on every 429 that RetryAfter.retry_after becomes a timedelta; we opt in to
# that now (read per access, so setting it here is early enough) and read both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    network_attempts: int = 4  # tries before a network failure becomes TryLater
    backoff_s: float = 0.5  # first wait after a network failure, doubled each time
    max_backoff_s: float = 8.0


@dataclass(slots=True)
class SendProgress:
    sent: int = 0  # messages of the batch Telegram has accepted


@dataclass(slots=True)
class SendStats:
    sent: int = 0
    throttled: int = 0  # 429 answers received (each one waited out and retried)
    network_failures: int = 0


class _ChatLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Sender:
    # Requests on the wire at once. More only queue inside the HTTP client's pool, which
    # grows slow with hundreds waiting; Telegram's 30/s never needs more than a few.
    IN_FLIGHT = 16

    def __init__(self, bot: Bot, limiter: SendLimiter, retry: RetryPolicy | None = None) -> None:
        self._bot = bot
        self._in_flight = asyncio.Semaphore(self.IN_FLIGHT)
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._chats: dict[int, _ChatLock] = {}
        self.ready = False  # set by the channel once the bot is initialised
        self.stats = SendStats()

    @property
    def waiting(self) -> int:
        return self._limiter.waiting

    async def send(
        self,
        chat_id: int,
        messages: Sequence[TelegramMessage],
        *,
        priority: int,
        max_wait_s: float,
        progress: SendProgress | None = None,
    ) -> list[Message]:
        """Send the messages in order, skipping the `progress.sent` first ones.

        Waits out 429s up to `max_wait_s` in total, then raises TryLater."""
        if not self.ready:
            raise TryLater(5.0, "the Telegram channel is not started")
        progress = progress if progress is not None else SendProgress()
        sent: list[Message] = []
        async with self._chat(chat_id):
            for message in messages[progress.sent :]:
                sent.append(await self._send_one(chat_id, message, priority, max_wait_s))
                progress.sent += 1
        return sent

    @asynccontextmanager
    async def _chat(self, chat_id: int) -> AsyncIterator[None]:
        entry = self._chats.get(chat_id)
        if entry is None:
            entry = self._chats[chat_id] = _ChatLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._chats[chat_id]

    async def _send_one(
        self, chat_id: int, message: TelegramMessage, priority: int, max_wait_s: float
    ) -> Message:
        waited = 0.0
        failures = 0
        png: bytes | None = None
        while True:
            await self._limiter.acquire(chat_id, priority)
            try:
                if message.qr is not None and png is None:
                    png = await asyncio.to_thread(qr_png, message.qr)
                async with self._in_flight:
                    result = await self._post(chat_id, message, png)
                self.stats.sent += 1
                return result
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                self.stats.throttled += 1
                self._limiter.throttled(chat_id, wait)
                waited += wait
                if waited > max_wait_s:
                    raise TryLater(wait, "Telegram rate limit") from None
            except Forbidden:
                raise RecipientGone("the user blocked the bot") from None
            except BadRequest as exc:
                if any(gone in exc.message.lower() for gone in _CHAT_GONE):
                    raise RecipientGone("the chat does not exist") from None
                raise
            except NetworkError as exc:
                failures += 1
                self.stats.network_failures += 1
                delay = min(self._retry.backoff_s * 2 ** (failures - 1), self._retry.max_backoff_s)
                log.warning("Telegram send failed (%s), try %d", type(exc).__name__, failures)
                if failures >= self._retry.network_attempts:
                    raise TryLater(delay, f"network trouble: {type(exc).__name__}") from None
                await asyncio.sleep(delay)

    async def _post(self, chat_id: int, message: TelegramMessage, png: bytes | None) -> Message:
        if png is not None:
            return await self._bot.send_photo(
                chat_id,
                photo=png,
                filename="qr.png",
                caption=message.text or None,
                parse_mode=ParseMode.HTML if message.text else None,
                reply_markup=message.markup,
            )
        return await self._bot.send_message(
            chat_id,
            message.text,
            parse_mode=ParseMode.HTML,
            reply_markup=message.markup,
            link_preview_options=_NO_PREVIEW,
        )


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is going away; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


def qr_png(payload: str) -> bytes:
    """The payload as a QR code PNG, big enough to scan from a phone screen."""
    code = qrcode.QRCode(border=4, box_size=10)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)  # PNG: qrcode's default PIL image saves as PNG
    return buffer.getvalue()
