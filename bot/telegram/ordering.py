"""Updates of one chat handled one after another, different chats side by side.

PTB hands each update to the processor in the order it left the update queue. Each
update waits for the previous update of the same chat to finish (a chain of futures per
chat), then for one of `max_running` slots. The base class's own bound is set so high that
it never makes an update wait, so updates enter here in queue order.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

_UNBOUNDED = 1 << 30


class PerChatOrder(BaseUpdateProcessor):
    def __init__(self, max_running: int = 256) -> None:
        super().__init__(max_concurrent_updates=_UNBOUNDED)
        self._running = asyncio.Semaphore(max_running)
        self._last: dict[int, asyncio.Future[None]] = {}  # chat -> its latest update's end

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._running:
                await coroutine
            return
        previous = self._last.get(chat.id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[chat.id] = done
        started = False
        try:
            if previous is not None:
                await asyncio.wait([previous])  # never cancels `previous` itself
            async with self._running:
                started = True
                await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()
            self._pass_on(chat.id, done, previous)

    def _pass_on(
        self, chat_id: int, done: asyncio.Future[None], previous: asyncio.Future[None] | None
    ) -> None:
        """Let the chat's next update go, but never before the one ahead of us finished
        (we may be here early, cancelled while waiting for it)."""

        def finish(_: object = None) -> None:
            if not done.done():
                done.set_result(None)
            if self._last.get(chat_id) is done:
                del self._last[chat_id]

        if previous is not None and not previous.done():
            previous.add_done_callback(finish)
        else:
            finish()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
