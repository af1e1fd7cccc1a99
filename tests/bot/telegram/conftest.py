"""Fixtures for the Telegram channel tests: a fake Bot API server and our real channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.telegram import TelegramChannel
from ecitizen.app import App
from flows.engine.channel_ports import Conversations
from tests.bot.telegram.tg_support import QUICK, QUICK_RETRY, ChannelFactory, TelegramBot
from tests.fakes.bot_api_server import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def channel_for(api: FakeBotApi) -> AsyncIterator[ChannelFactory]:
    """Start our channel against the fake server, in polling mode unless told otherwise."""
    started: list[TelegramChannel] = []

    async def make(engine: Conversations, **options: Any) -> TelegramChannel:
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


@pytest.fixture
async def bot(make_app: Callable[..., Any], api: FakeBotApi) -> AsyncIterator[TelegramBot]:
    app: App = await make_app(telegram={"bot_username": api.username})
    channel = TelegramChannel(
        app, api.token, api_url=api.url, limits=QUICK, retry=QUICK_RETRY, poll_timeout_s=5
    )
    app.add_delivery("telegram", channel.delivery)
    await channel.start()
    app.start_workers()
    yield TelegramBot(app, channel, api)
    await channel.stop_receiving()  # the shutdown order ecitizen uses
    await app.close()
    await channel.stop()
