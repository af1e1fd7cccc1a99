"""Webhook mode: Telegram POSTs updates to our own aiohttp server.

The fake Bot API server pushes updates with the secret token header, as Telegram does;
requests are also made by hand to show what a stranger (or a broken proxy) gets.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.telegram import TelegramChannel, TelegramStartError
from bot.telegram.webhook import SECRET_HEADER
from tests.bot.telegram.tg_support import QUICK, QUICK_RETRY, StandInEngine, settle
from tests.fakes.bot_api_server import FakeBotApi

SECRET = "kragujevac-webhook_2026"


class OurServer:
    """Our aiohttp server with the channel's webhook route, on a port known in advance."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/telegram/webhook"
        self.runner: web.AppRunner | None = None

    async def serve(self, channel: TelegramChannel) -> None:
        app = web.Application()
        app.add_routes(channel.webhook_routes())
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        self.sock.close()


@pytest.fixture
async def webhook_bot(
    api: FakeBotApi,
) -> AsyncIterator[tuple[TelegramChannel, StandInEngine, OurServer]]:
    engine = StandInEngine()
    server = OurServer()
    channel = TelegramChannel(
        engine,
        api.token,
        api_url=api.url,
        mode="webhook",
        webhook_url=server.url,
        webhook_secret=SECRET,
        limits=QUICK,
        retry=QUICK_RETRY,
    )
    await server.serve(channel)
    await channel.start()
    yield channel, engine, server
    await channel.stop()
    await server.close()


async def test_updates_pushed_with_the_secret_are_answered(
    api: FakeBotApi, webhook_bot: tuple[TelegramChannel, StandInEngine, OurServer]
) -> None:
    channel, engine, server = webhook_bot
    ana = api.user("Ана")

    await ana.send_text("Здраво")
    reply = await ana.next_message()
    await settle(api, channel)

    assert reply.text == "Ваш избор: text=Здраво"
    assert api.webhook == {"url": server.url, "secret_token": SECRET}
    assert api.calls["getUpdates"] == 0
    assert [status for _, status in api.webhook_answers] == [200]
    assert len(engine.inbounds) == 1


async def test_a_wrong_secret_is_refused_and_nothing_is_processed(
    api: FakeBotApi, webhook_bot: tuple[TelegramChannel, StandInEngine, OurServer]
) -> None:
    channel, engine, _ = webhook_bot
    ana = api.user("Ана")
    api.push_secret = "guessed-secret"

    await ana.send_text("Здраво")
    await api.wait_until(lambda: len(api.webhook_answers) >= 3)  # Telegram keeps retrying
    assert {status for _, status in api.webhook_answers} == {401}
    assert engine.inbounds == [] and ana.inbox == []

    api.push_secret = None  # the right secret again: the same update goes through, once
    await ana.next_message()
    await settle(api, channel)
    assert len(engine.inbounds) == 1


async def test_strangers_and_malformed_bodies_get_4xx_and_the_server_keeps_serving(
    api: FakeBotApi, webhook_bot: tuple[TelegramChannel, StandInEngine, OurServer]
) -> None:
    channel, engine, server = webhook_bot
    good = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1,
            "text": "/start",
            "chat": {"id": 5, "type": "private", "first_name": "X"},
            "from": {"id": 5, "is_bot": False, "first_name": "X"},
        },
    }
    async with aiohttp.ClientSession() as http:

        async def post(body: bytes | str, headers: dict[str, str]) -> int:
            async with http.post(server.url, data=body, headers=headers) as response:
                return response.status

        assert await post(str(update).replace("'", '"'), {}) == 401  # no secret
        assert await post("{}", {SECRET_HEADER: SECRET + "x"}) == 401
        assert await post("{not json", good) == 400
        assert await post(b"\xff\xfe", good) == 400
        assert await post("[1, 2]", good) == 400
        assert await post('{"update_id": "7"}', good) == 400
        assert await post('{"update_id": 7, "message": {"text": "no chat"}}', good) == 400

    await settle(api, channel)
    assert engine.inbounds == []

    ana = api.user("Ана")  # the server still serves real updates
    await ana.send_text("још сам ту")
    assert (await ana.next_message()).text == "Ваш избор: text=још сам ту"


async def test_polling_mode_offers_no_webhook_route(api: FakeBotApi) -> None:
    channel = TelegramChannel(StandInEngine(), api.token, api_url=api.url)
    assert channel.webhook_routes() == []


async def test_a_webhook_telegram_refuses_is_a_clear_error_at_start_up(api: FakeBotApi) -> None:
    channel = TelegramChannel(
        StandInEngine(),
        api.token,
        api_url=api.url,
        mode="webhook",
        webhook_url="http://egradjanin.example/telegram/webhook",
        webhook_secret=SECRET,
    )
    with pytest.raises(TelegramStartError, match=r"(?i)an https url must be provided"):
        await channel.start()
