"""Sending rendered messages: paced, in order per chat, retried the way the messenger asks.

Shared by every chat channel. A channel supplies a Transport that posts one message and
turns the messenger's answers into the few outcomes that matter here: accepted, Throttled
(wait and try again), RecipientGone (blocked, unsubscribed, no such chat), NetworkTrouble
(back off, try again a few times). Everything else is the channel's own error.

One chat's messages go out one at a time in the order they were handed over (a lock per
chat, held across retries), so a reply or a notification never overtakes another to the
same chat. A caller that cannot wait longer gets TryLater, with the progress made so it
can resume without duplicates. A caller that must know what was on the wire when its
process died (the outbox) is told each message's number right before it is posted, once
its slot is granted (`before_post`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, Protocol, TypeVar

from bot.pacing import ChatId, SendLimiter, Token
from flows.engine.channel_ports import RecipientGone, TryLater

log = logging.getLogger(__name__)

M = TypeVar("M", contravariant=True)  # a channel's rendered message
R = TypeVar("R", covariant=True)  # what the messenger answers for an accepted one
Msg = TypeVar("Msg")
Result = TypeVar("Result")


class Throttled(Exception):
    """The messenger refused for the rate: wait `retry_after` seconds, then try again."""

    def __init__(self, retry_after: float, reason: str = "rate limited") -> None:
        super().__init__(reason)
        self.retry_after = max(retry_after, 0.0)


class NetworkTrouble(Exception):
    """The messenger could not be reached or did not answer properly: try again later."""


class Transport(Protocol[M, R]):
    async def post(self, chat_id: ChatId, message: M) -> R:
        """Send one message; raises Throttled, RecipientGone or NetworkTrouble."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    network_attempts: int = 4  # tries before a network failure becomes TryLater
    backoff_s: float = 0.5  # first wait after a network failure, doubled each time
    max_backoff_s: float = 8.0


@dataclass(slots=True)
class SendProgress:
    sent: int = 0  # messages of the batch the messenger has accepted


@dataclass(slots=True)
class SendStats:
    sent: int = 0
    throttled: int = 0  # rate refusals received (each one waited out and retried)
    network_failures: int = 0
    late_tokens: int = 0  # bot-wide tokens given up: their slice was over before the post


class _ChatLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Sender(Generic[Msg, Result]):
    # Requests on the wire at once. More only queue inside the HTTP client's pool, which
    # grows slow with hundreds waiting; the messengers' paces never need more than a few.
    IN_FLIGHT = 16

    def __init__(
        self,
        transport: Transport[Msg, Result],
        limiter: SendLimiter,
        retry: RetryPolicy | None = None,
        *,
        name: str = "the channel",
    ) -> None:
        self._transport = transport
        self._in_flight = asyncio.Semaphore(self.IN_FLIGHT)
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._name = name
        self._chats: dict[ChatId, _ChatLock] = {}
        self.ready = False  # set by the channel once its messenger accepted the token
        self.stats = SendStats()

    @property
    def waiting(self) -> int:
        return self._limiter.waiting

    async def send(
        self,
        chat_id: ChatId,
        messages: Sequence[Msg],
        *,
        priority: int,
        max_wait_s: float,
        progress: SendProgress | None = None,
        before_post: Callable[[int], Awaitable[None]] | None = None,
    ) -> list[Result]:
        """Send the messages in order, skipping the `progress.sent` first ones.

        Waits out rate refusals up to `max_wait_s` in total, then raises TryLater.
        `before_post(n)` runs right before message n goes on the wire (each try); what it
        raises stops the send, message n not sent."""
        if not self.ready:
            raise TryLater(5.0, f"{self._name} is not started")
        progress = progress if progress is not None else SendProgress()
        sent: list[Result] = []
        entry = self._chats.get(chat_id)
        if entry is None:
            entry = self._chats[chat_id] = _ChatLock()
        entry.users += 1
        try:
            async with entry.lock:
                for message in messages[progress.sent :]:
                    mark = None if before_post is None else partial(before_post, progress.sent)
                    sent.append(await self._send_one(chat_id, message, priority, max_wait_s, mark))
                    progress.sent += 1
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._chats[chat_id]
        return sent

    async def _send_one(
        self,
        chat_id: ChatId,
        message: Msg,
        priority: int,
        max_wait_s: float,
        before_post: Callable[[], Awaitable[None]] | None = None,
    ) -> Result:
        waited = 0.0
        failures = 0
        while True:
            token = await self._limiter.acquire(chat_id, priority)
            try:
                if before_post is not None:  # a write of its own: no slot on the wire held
                    await before_post()
                result = await self._post_in_time(chat_id, message, priority, token)
                self.stats.sent += 1
                return result
            except Throttled as exc:
                self.stats.throttled += 1
                self._limiter.throttled(chat_id, exc.retry_after)
                waited += exc.retry_after
                if waited > max_wait_s:
                    raise TryLater(exc.retry_after, f"{self._name}: rate limit") from None
            except RecipientGone:
                raise
            except NetworkTrouble as exc:
                failures += 1
                self.stats.network_failures += 1
                delay = min(self._retry.backoff_s * 2 ** (failures - 1), self._retry.max_backoff_s)
                log.warning("%s: send failed (%s), try %d", self._name, exc, failures)
                if failures >= self._retry.network_attempts:
                    raise TryLater(delay, f"network trouble: {exc}") from None
                await asyncio.sleep(delay)

    async def _post_in_time(
        self, chat_id: ChatId, message: Msg, priority: int, token: Token
    ) -> Result:
        """Posted on a bot-wide token still good when it leaves: one that ran out on the
        way (a slow in-flight mark, a wait for a free connection) is given up for another
        of the same priority, waited for without holding a connection."""
        for _ in range(self._limiter.LATE_TRIES):
            async with self._in_flight:
                if self._limiter.in_time(token):
                    return await self._transport.post(chat_id, message)
            self.stats.late_tokens += 1
            token = await self._limiter.again(priority)
        async with self._in_flight:  # late again and again: a loop this slow sends anyway
            return await self._transport.post(chat_id, message)
