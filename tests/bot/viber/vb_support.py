"""Helpers for the Viber channel tests: the whole app behind a real aiohttp server, with
our Viber channel talking to the fake Viber API, and people who read what they get."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.pacing import SendLimits
from bot.sending import RetryPolicy
from bot.viber import ViberChannel
from ecitizen.app import App
from ecitizen.server import build_web, start_viber
from tests.fakes.viber_api import FakeViberApi, Received, ViberUser

QUICK = SendLimits(per_second=1000.0, per_chat_per_second=100.0, per_chat_burst=10)
QUICK_RETRY = RetryPolicy(network_attempts=3, backoff_s=0.01, max_backoff_s=0.05)
SECRET = b"a test link secret of 32 bytes!!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shown(messages: list[Received]) -> str:
    """Messages as the person reads them: texts, and [picture] for a picture."""
    return "\n\n".join(m.text if m.type == "text" else "[picture]" for m in messages)


class Person:
    """A simulated Viber user in a dialogue test: each action returns what the bot
    answered (every new message), read once the callback was answered."""

    def __init__(self, user: ViberUser) -> None:
        self.user = user

    async def _answer(self, status: int) -> str:
        assert status == 200, f"the bot answered the callback with {status}"
        return shown(self.user.unread())

    async def opens(self, context: str | None = None) -> str:
        return await self._answer(await self.user.open_chat(context))

    async def says(self, text: str) -> str:
        return await self._answer(await self.user.send_text(text))

    async def presses(self, label: str) -> str:
        return await self._answer(await self.user.press(label))

    async def shares_contact(self, phone: str, name: str) -> str:
        return await self._answer(await self.user.share_contact(phone, name))

    @property
    def buttons(self) -> list[str]:
        return self.user.buttons


@dataclass
class ViberBot:
    """The whole app (real engine, SQLite store, outbox worker) served by our aiohttp
    server with the Viber channel, against the fake Viber API."""

    app: App
    channel: ViberChannel
    api: FakeViberApi
    runner: web.AppRunner
    base_url: str

    def person(self, name: str = "Ана", **options: Any) -> Person:
        return Person(self.api.user(name, **options))

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.app.close()
        await self.channel.stop()


async def serve_viber(app: App, api: FakeViberApi, **options: Any) -> ViberBot:
    """Our server on a free port with the Viber channel, started as `ecitizen serve`
    starts it: routes served first, then the token checked and the webhook set."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    options.setdefault("limits", QUICK)
    options.setdefault("retry", QUICK_RETRY)
    channel = ViberChannel(
        app,
        options.pop("token", api.token),
        public_url=base_url,
        secret=SECRET,
        store=app.store,
        api_url=api.url,
        clock=app.env.clock,
        **options,
    )
    server = build_web(app, viber=channel)
    runner = web.AppRunner(server.web, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await start_viber(server)
    app.start_workers()
    return ViberBot(app, channel, api, runner, base_url)
