"""Helpers for the Telegram channel tests: quick limits, settling, a stand-in engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.telegram import RetryPolicy, SendLimits, TelegramChannel
from flows.messages import Inbound, Msg, Outbound
from tests.fakes.bot_api_server import FakeBotApi

# Fast enough for tests that are not about pacing; the fake enforces no cap unless asked.
QUICK = SendLimits(per_second=1000.0, per_chat_per_second=100.0, per_chat_burst=10)
QUICK_RETRY = RetryPolicy(network_attempts=3, backoff_s=0.01, max_backoff_s=0.05)

ChannelFactory = Callable[..., Awaitable[TelegramChannel]]


async def settle(api: FakeBotApi, channel: TelegramChannel) -> None:
    """Until the bot has taken every update and answered it."""
    await api.fetched()
    await channel.drained()


def reply_to(inbound: Inbound, *texts: Msg, **fields: Any) -> Outbound:
    return Outbound(
        key=inbound.key, language=fields.pop("language", "sr-Cyrl"), text=texts, **fields
    )


def what_arrived(inbound: Inbound) -> str:
    for name in ("text", "choice", "contact", "scan"):
        value = getattr(inbound, name)
        if value is not None:
            return f"{name}={value}"
    if inbound.command is not None:
        return f"command={inbound.command.value} payload={inbound.payload}"
    return "nothing"


class StandInEngine:
    """Transport tests only: remembers each Inbound and answers what it got ("Ваш избор:
    text=...") or what `answer` returns. The dialogue tests use the real engine."""

    def __init__(self, answer: Callable[[Inbound], list[Outbound]] | None = None) -> None:
        self.inbounds: list[Inbound] = []
        self._answer = answer

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        self.inbounds.append(inbound)
        if self._answer is not None:
            return self._answer(inbound)
        return [reply_to(inbound, Msg.of("telegram.chosen", choice=what_arrived(inbound)))]
