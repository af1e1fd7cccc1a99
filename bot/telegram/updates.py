"""PTB's update processor on the shared per-chat order (bot/ordering.py).

PTB hands each update to the processor in the order it left the update queue. The base
class's own bound is set so high that it never makes an update wait, so updates enter the
shared order in queue order; the order's own slots bound how many run at once.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.ordering import ChatOrder

_UNBOUNDED = 1 << 30


class PerChatOrder(BaseUpdateProcessor):
    def __init__(self, max_running: int = 256) -> None:
        super().__init__(max_concurrent_updates=_UNBOUNDED)
        self._order = ChatOrder(max_running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        await self._order.run(chat.id if chat is not None else None, coroutine)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
