"""Helpers for the Telegram channel tests: quick limits, settling, a stand-in engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.telegram import RetryPolicy, SendLimits, TelegramChannel
from ecitizen.app import App
from flows.engine.messages import Inbound, Msg, Outbound
from tests.fakes.bot_api_server import FakeBotApi
from tests.fakes.bot_api_users import FakeUser

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


class Person:
    """A simulated Telegram user in a dialogue test: each action returns the bot's answer
    as the person reads it (all the new messages, once the bot has finished answering)."""

    def __init__(self, user: FakeUser, api: FakeBotApi, channel: TelegramChannel) -> None:
        self.user = user
        self.api = api
        self.channel = channel

    async def _answer(self) -> str:
        await settle(self.api, self.channel)
        return "\n\n".join(m.text for m in self.user.unread())

    async def starts(self, payload: str | None = None) -> str:
        await self.user.start(payload)
        return await self._answer()

    async def says(self, text: str) -> str:
        await self.user.send_text(text)
        return await self._answer()

    async def presses(self, label: str) -> str:
        await self.user.press(label)
        return await self._answer()

    async def shares_contact(self, phone: str | None = None, **owner: Any) -> str:
        await self.user.share_contact(phone, **owner)
        return await self._answer()

    @property
    def buttons(self) -> list[str]:
        last = self.user.last()
        return last.buttons if last else []


@dataclass
class TelegramBot:
    """The whole app (real engine, SQLite store, outbox worker) with our Telegram channel."""

    app: App
    channel: TelegramChannel
    api: FakeBotApi

    def person(self, first_name: str, **user: Any) -> Person:
        return Person(self.api.user(first_name, **user), self.api, self.channel)
