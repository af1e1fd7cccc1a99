"""Notifications from the outbox, delivered to Telegram chats (flows.ports.Delivery).

The outbox worker calls deliver() for each effect addressed to a Telegram chat. It shares
the channel's pacer, so notifications take the slots replies leave free. A blocked bot is
RecipientGone (the worker marks the chat unreachable); a long rate limit or network
trouble is TryLater. An outbound Telegram shows as several messages (a long text, a QR
code) resumes after the last one accepted when it is retried, so none is sent twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from bot.telegram.chats import ChatMemory
from bot.telegram.inbound import CHANNEL
from bot.telegram.limiter import QUEUED
from bot.telegram.render import Renderer
from bot.telegram.sender import Sender, SendProgress
from flows.codec import outbound_to_json
from flows.messages import Outbound
from flows.ports import TryLater


class TelegramDelivery:
    _KEEP_PARTIAL = 10_000

    def __init__(
        self, sender: Sender, renderer: Renderer, memory: ChatMemory, *, max_wait_s: float = 10.0
    ) -> None:
        self._sender = sender
        self._renderer = renderer
        self._memory = memory
        self._max_wait_s = max_wait_s
        self._partial: OrderedDict[str, SendProgress] = OrderedDict()

    async def deliver(self, outbound: Outbound) -> None:
        """Returns once Telegram accepted every message; raises RecipientGone or TryLater."""
        if outbound.key.channel != CHANNEL:
            raise ValueError(f"not a Telegram chat: {outbound.key.channel}")
        chat_id = int(outbound.key.user_key)
        rendered = self._renderer.render(outbound, reply=False)
        fingerprint = _fingerprint(outbound)
        progress = self._partial.pop(fingerprint, None) or SendProgress()
        try:
            await self._sender.send(
                chat_id,
                rendered.messages,
                priority=QUEUED,
                max_wait_s=self._max_wait_s,
                progress=progress,
            )
        except TryLater:
            if progress.sent:
                self._partial[fingerprint] = progress
                if len(self._partial) > self._KEEP_PARTIAL:
                    self._partial.popitem(last=False)
            raise
        state = self._memory(chat_id)
        if state.language is None:
            state.language = outbound.language

    @property
    def backlog(self) -> int:
        """Messages waiting for a send slot (replies and notifications)."""
        return self._sender.waiting


def _fingerprint(outbound: Outbound) -> str:
    data = json.dumps(outbound_to_json(outbound), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()
