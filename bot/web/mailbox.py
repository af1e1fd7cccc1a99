"""Web chat mailboxes: what each browser session was told, kept until its page fetches it.

A notification (an officer's message, a status update) for a "web" conversation lands in
the session's mailbox; the open page picks it up with a long poll, and a page opened later
finds it there too. Mailboxes live in this process's memory only: fine for a demo and a
small hall, but messages waiting for a closed page are lost when the server restarts, and
several server processes would each have their own. Each mailbox keeps its last
`keep` items; a mailbox nobody touched for `forget_after_s` (a day by default) is dropped,
and so are the least recently used ones beyond `max_sessions`: what a person typed is not
kept in memory longer than that (the conversation itself lives in the store, as on
Telegram).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows.messages import Outbound

CHANNEL = "web"


@dataclass(slots=True)
class Mailbox:
    items: deque[dict[str, Any]]
    last_id: int = 0
    waiters: set[asyncio.Event] = field(default_factory=set)  # open long polls
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one message at a time
    replies: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    language: str | None = None
    touched: float = 0.0

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        self.last_id += 1
        stored = {**item, "id": self.last_id}
        self.items.append(stored)
        for waiter in self.waiters:
            waiter.set()
        return stored

    def after(self, last_seen: int) -> list[dict[str, Any]]:
        return [item for item in self.items if item["id"] > last_seen]

    async def wait_after(self, last_seen: int, wait_s: float) -> list[dict[str, Any]]:
        """The items after `last_seen`, waiting up to `wait_s` seconds for one."""
        waiter = asyncio.Event()
        self.waiters.add(waiter)
        try:
            if not self.after(last_seen):
                await asyncio.wait_for(waiter.wait(), wait_s)
        except TimeoutError:
            pass
        finally:
            self.waiters.discard(waiter)
        return self.after(last_seen)


class Mailboxes:
    def __init__(
        self,
        render: Callable[[Outbound], dict[str, Any]],
        keep: int = 200,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        forget_after_s: float = 24 * 3600.0,
    ) -> None:
        self._render = render
        self._keep = keep
        self._max = max_sessions
        self._forget_after_s = forget_after_s
        self._clock = clock
        self._boxes: OrderedDict[str, Mailbox] = OrderedDict()

    def __len__(self) -> int:
        return len(self._boxes)

    def get(self, token: str) -> Mailbox:
        self._forget_stale()
        box = self._boxes.get(token)
        if box is None:
            box = Mailbox(items=deque(maxlen=self._keep))
            self._boxes[token] = box
            while len(self._boxes) > self._max:
                self._boxes.popitem(last=False)
        self._boxes.move_to_end(token)
        box.touched = self._clock()
        return box

    def _forget_stale(self) -> None:
        # Least recently used first, so only the stale front of the queue is looked at.
        cutoff = self._clock() - self._forget_after_s
        while self._boxes:
            token, oldest = next(iter(self._boxes.items()))
            if oldest.touched >= cutoff or oldest.waiters:
                return
            del self._boxes[token]

    def peek(self, token: str) -> Mailbox | None:
        return self._boxes.get(token)

    def post(self, outbound: Outbound) -> dict[str, Any]:
        box = self.get(outbound.key.user_key)
        box.language = outbound.language or box.language
        return box.add({"from": "bot", **self._render(outbound)})


class WebChatDelivery:
    """flows.ports.Delivery for channel "web": into the session's mailbox."""

    def __init__(self, mailboxes: Mailboxes) -> None:
        self.mailboxes = mailboxes

    async def deliver(self, outbound: Outbound) -> None:
        if outbound.key.channel != CHANNEL:
            raise ValueError(f"not a web chat conversation: {outbound.key.channel}")
        self.mailboxes.post(outbound)
