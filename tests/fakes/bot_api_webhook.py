"""Webhook delivery of the fake Bot API server, the way Telegram delivers.

Telegram POSTs each update to the webhook URL with the secret token header and keeps it
until it is answered with a 2xx; anything else (an error status, a refused or broken
connection) is retried later, with growing pauses. Updates of one chat go out one at a
time and in order; updates of different chats go out side by side, up to
`max_connections` at once (Telegram's setWebhook parameter; 1 here unless a test asks for
more).

Behind a load balancer Telegram's POSTs land on any of the servers behind it: with
`targets` set, each attempt goes to the next of those URLs, round robin, in place of the
webhook URL (a retry after a failure so goes to another server).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_RETRY_S = 0.05
LAST_RETRY_S = 1.0


@dataclass
class Delivery:
    """One attempt: which update went where, and what came back (0: no HTTP answer)."""

    update_id: int
    target: str
    status: int


@dataclass
class _Retry:
    at: float
    pause: float


@dataclass
class WebhookPusher:
    """Runs while a webhook is set; `pending` is the server's list of unconfirmed updates,
    shared with getUpdates and `fetched()`."""

    url: str
    pending: list[dict[str, Any]]
    secret: Callable[[], str | None]  # read at each attempt: a test may change it
    changed: asyncio.Condition
    notify: Callable[[], None]
    targets: list[str] = field(default_factory=list)
    max_connections: int = 1
    deliveries: list[Delivery] = field(default_factory=list)
    _in_flight: set[int] = field(default_factory=set)  # chats with an update on its way
    _retries: dict[int, _Retry] = field(default_factory=dict)  # update id -> next attempt
    _turn: int = 0

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            workers = [
                asyncio.create_task(self._worker(session)) for _ in range(self.max_connections)
            ]
            try:
                await asyncio.gather(*workers)
            finally:
                for worker in workers:
                    worker.cancel()
                for worker in workers:
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    async def _worker(self, session: aiohttp.ClientSession) -> None:
        while True:
            update = await self._next()  # its chat is now marked as in flight
            try:
                status = await self._post(session, update)
            finally:
                self._in_flight.discard(chat_of(update))
            self._settle(update, status)

    async def _next(self) -> dict[str, Any]:
        """The oldest update that may go now: its chat has nothing on its way and nothing
        older waiting, and its retry pause is over."""
        async with self.changed:
            while True:
                found, wake_at = self._ready(time.monotonic())
                if found is not None:
                    self._in_flight.add(chat_of(found))
                    return found
                timeout = None if wake_at is None else max(0.0, wake_at - time.monotonic())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self.changed.wait()

    def _ready(self, now: float) -> tuple[dict[str, Any] | None, float | None]:
        seen: set[int] = set()
        wake_at: float | None = None
        for update in self.pending:
            chat = chat_of(update)
            if chat in seen or chat in self._in_flight:
                seen.add(chat)
                continue
            seen.add(chat)
            retry = self._retries.get(update["update_id"])
            if retry is not None and retry.at > now:
                wake_at = retry.at if wake_at is None else min(wake_at, retry.at)
                continue
            return update, None
        return None, wake_at

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> int:
        target = self._target()
        secret = self.secret()
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with session.post(target, json=update, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, OSError):
            status = 0
        self.deliveries.append(Delivery(update["update_id"], target, status))
        return status

    def _target(self) -> str:
        if not self.targets:
            return self.url
        target = self.targets[self._turn % len(self.targets)]
        self._turn += 1
        return target

    def _settle(self, update: dict[str, Any], status: int) -> None:
        update_id = update["update_id"]
        if 200 <= status < 300:
            self._retries.pop(update_id, None)
            with contextlib.suppress(ValueError):
                self.pending.remove(update)
        else:  # Telegram retries, later
            before = self._retries.get(update_id)
            pause = FIRST_RETRY_S if before is None else min(LAST_RETRY_S, before.pause * 2)
            self._retries[update_id] = _Retry(time.monotonic() + pause, pause)
        self.notify()


def chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (its sender's, for a pressed button)."""
    for kind in ("message", "edited_message"):
        if kind in update:
            return int(update[kind]["chat"]["id"])
    if "callback_query" in update:
        return int(update["callback_query"]["from"]["id"])
    return 0
