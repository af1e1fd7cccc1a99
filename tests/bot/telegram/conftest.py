"""Fixtures for the Telegram channel tests: a fake Bot API server and our real channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.telegram import ConversationEngine, TelegramChannel
from tests.bot.telegram.tg_support import QUICK, QUICK_RETRY, ChannelFactory
from tests.fakes.bot_api_server import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def channel_for(api: FakeBotApi) -> AsyncIterator[ChannelFactory]:
    """Start our channel against the fake server, in polling mode unless told otherwise."""
    started: list[TelegramChannel] = []

    async def make(engine: ConversationEngine, **options: Any) -> TelegramChannel:
        options.setdefault("limits", QUICK)
        options.setdefault("retry", QUICK_RETRY)
        options.setdefault("poll_timeout_s", 5)
        channel = TelegramChannel(
            engine, options.pop("token", api.token), api_url=api.url, **options
        )
        await channel.start()
        started.append(channel)
        return channel

    yield make
    for channel in started:
        await channel.stop()
