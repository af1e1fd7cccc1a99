"""Telegram's bot-wide limit (about 30 messages a second) holds for the bot, however many
processes send for it: three servers on one database, each with its own store and its own
channel, answer people and deliver notices at once, and the fake Bot API server, which
counts every call per second of the clock, never sees more than the limit in a second.

Every call that changes a chat counts: replies, notices from the outbox workers, and
edits of a pressed message. Answers to pressed buttons do not (nothing shows in the chat,
and Telegram wants them within seconds).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from aiohttp import web

from bot.telegram import TelegramChannel
from bot.telegram.channel import TELEGRAM_LIMITS
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.engine.messages import Choice, ConversationKey, Inbound, Msg, Outbound
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from tests.bot.telegram.tg_support import QUICK_RETRY, StandInEngine, reply_to
from tests.fakes.bot_api_server import FakeBotApi, SecondCap
from tests.fakes.bot_api_users import FakeUser
from tests.postgres import database_url

PROCESSES = 3
PEOPLE = 40
NOTICES = 2  # per person
LIMIT = SecondCap(per_second=30, burst=3)  # what the fake Bot API server lets through


def answer(inbound: Inbound) -> list[Outbound]:
    """A question with one button; the press is answered with a last line."""
    if inbound.choice == "go":
        return [reply_to(inbound, Msg.of("telegram.chosen", choice="done"))]
    return [reply_to(inbound, Msg.of("telegram.chosen", choice="asked"), choices=(GO,))]


GO = Choice("go", Msg.of("telegram.chosen", choice="go"))


class Process:
    """One `ecitizen serve`: its own App (store, outbox worker) and Telegram channel."""

    def __init__(self, app: App, channel: TelegramChannel, runner: web.AppRunner) -> None:
        self.app, self.channel, self.runner = app, channel, runner

    @classmethod
    async def start(cls, settings: dict[str, object], api: FakeBotApi) -> Process:
        app = await build_app(parse_config({"data": settings}))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        channel = TelegramChannel(
            StandInEngine(answer),
            api.token,
            api_url=api.url,
            mode="webhook",
            webhook_url=f"http://127.0.0.1:{sock.getsockname()[1]}/telegram/webhook",
            webhook_secret="bot-wide-pace",
            limits=TELEGRAM_LIMITS,
            retry=QUICK_RETRY,
            share_pace_with=app.store,
        )
        web_app = web.Application()
        web_app.add_routes(channel.webhook_routes())
        runner = web.AppRunner(web_app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        api.webhook_targets.append(f"http://127.0.0.1:{sock.getsockname()[1]}/telegram/webhook")
        app.add_delivery("telegram", channel.delivery)
        await channel.start()
        app.start_workers()
        return cls(app, channel, runner)

    async def stop(self) -> None:
        await self.channel.stop_receiving()
        await self.app.close()
        await self.channel.stop()
        await self.runner.cleanup()


async def queue_notices(app: App, people: list[FakeUser]) -> None:
    effects = [
        notify(
            ConversationKey("telegram", str(p.id)),
            "sr-Cyrl",
            [Msg.of("notify.called", ticket=f"A{n:03d}", counter="1")],
            f"call:{p.id}:{n}",
            in_doubt=InDoubt.RESEND,
        )
        for p in people
        for n in range(NOTICES)
    ]
    await app.store.apply(Unit(effects=effects))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_three_processes_together_keep_to_the_bot_wide_limit(
    kind: str, tmp_path: Path
) -> None:
    async with database_url(kind, tmp_path) as url, FakeBotApi(second_cap=LIMIT) as api:
        settings: dict[str, object] = {"dir": str(tmp_path / "var"), "database": url}
        api.deliver_webhooks_to([])
        processes = [await Process.start(settings, api) for _ in range(PROCESSES)]
        people = [api.user(f"Грађанин {i}") for i in range(PEOPLE)]
        await queue_notices(processes[0].app, people)  # any process's outbox worker may send
        await asyncio.gather(*(p.send_text("Здраво") for p in people))
        await api.wait_until(lambda: all(asked(p) for p in people), wait_s=60)
        for person in people:
            await person.press("go")
        expected = 2 + NOTICES
        await api.wait_until(lambda: all(len(p.inbox) == expected for p in people), wait_s=60)
        for process in processes:
            await process.stop()

    busiest = max(api.per_second.values())
    assert busiest <= LIMIT.per_second + LIMIT.burst, f"{busiest} calls in one second"
    assert not [r for r in api.refused if r[1] == 429]
    for person in people:  # nothing lost, nothing twice, every button answered
        texts = sorted(m.text for m in person.inbox)
        assert len(texts) == len(set(texts)) == expected
        assert sum("A000" in t for t in texts) == sum("A001" in t for t in texts) == 1
        assert person.toasts == [None]
    assert api.calls["answerCallbackQuery"] == api.calls["editMessageText"] == PEOPLE


def asked(person: FakeUser) -> bool:
    return any(m.inline_buttons for m in person.inbox)
