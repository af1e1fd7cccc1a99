"""One chat's updates handled one after another, different chats side by side.

Shared by the channels: Telegram's update processor and Viber's callback route run each
update through `ChatOrder.run(chat, coroutine)`. Each update waits for the previous update
of the same chat to finish (a chain of futures per chat), then for one of `max_running`
slots. Updates of one chat are handled in the order they entered here.

This orders what one process received; several processes stay correct through the store
(a turn is applied at the conversation's version it read, or run again).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ChatOrder:
    def __init__(self, max_running: int = 256) -> None:
        self._running = asyncio.Semaphore(max_running)
        self._last: dict[Hashable, asyncio.Future[None]] = {}  # chat -> its latest update's end

    async def run(self, chat: Hashable | None, coroutine: Awaitable[T]) -> T:
        """The coroutine's result, once the chat's earlier updates are done (None: an
        update of no chat, only bounded by the slots)."""
        if chat is None:
            async with self._running:
                return await coroutine
        previous = self._last.get(chat)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[chat] = done
        started = False
        try:
            if previous is not None:
                await asyncio.wait([previous])  # never cancels `previous` itself
            async with self._running:
                started = True
                return await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()
            self._pass_on(chat, done, previous)

    def _pass_on(
        self, chat: Hashable, done: asyncio.Future[None], previous: asyncio.Future[None] | None
    ) -> None:
        """Let the chat's next update go, but never before the one ahead of us finished
        (we may be here early, cancelled while waiting for it)."""

        def finish(_: object = None) -> None:
            if not done.done():
                done.set_result(None)
            if self._last.get(chat) is done:
                del self._last[chat]

        if previous is not None and not previous.done():
            previous.add_done_callback(finish)
        else:
            finish()
