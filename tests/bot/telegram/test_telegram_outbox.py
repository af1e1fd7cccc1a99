"""Notifications through the real outbox worker into Telegram: bursts and restarts.

The effects are written to the store the way the engine writes them; the app's outbox
worker hands them to the channel's OutboxDelivery, which sends them to the fake Bot API server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.telegram import SendLimits, TelegramChannel
from ecitizen.app import App
from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from tests.bot.telegram.tg_support import QUICK_RETRY
from tests.fakes.bot_api_server import Cap, FakeBotApi
from tests.fakes.bot_api_users import FakeUser

# Telegram's limits scaled up 2x, to keep the tests short.
DOUBLE = SendLimits(per_second=60, per_chat_per_second=2, per_chat_burst=3)


async def queue_calls(app: App, people: list[FakeUser], per_person: int) -> None:
    """For each person, `per_person` "your ticket is called" notifications, in order."""
    effects = [
        notify(
            ConversationKey("telegram", str(p.id)),
            "sr-Cyrl",
            [Msg.of("notify.called", ticket=f"A{n:03d}", counter=str(p.id))],
            f"call:{p.id}:{n}",
            in_doubt=InDoubt.RESEND,
        )
        for p in people
        for n in range(per_person)
    ]
    await app.store.apply(Unit(effects=effects))


def calls_received(person: FakeUser) -> list[str]:
    return [m.text.split()[2] for m in person.inbox]  # "Ваш број A001 је позван..." -> A001


async def start_bot(app: App, api: FakeBotApi, limits: SendLimits = DOUBLE) -> TelegramChannel:
    channel = TelegramChannel(
        app, api.token, api_url=api.url, limits=limits, retry=QUICK_RETRY, poll_timeout_s=5
    )
    app.add_delivery("telegram", channel.delivery)
    await channel.start()
    app.start_workers()
    return channel


async def shut_down(app: App, channel: TelegramChannel) -> None:
    await channel.stop_receiving()
    await app.close()  # the outbox finishes the round it holds
    await channel.stop()


async def test_a_burst_of_200_notifications_to_50_chats(
    make_app: Callable[..., Any], api: FakeBotApi
) -> None:
    """All delivered, in order per chat; the server is a little stricter than our pacing,
    so some 429s come, and each is waited out."""
    api.set_caps(cap=Cap(per_second=50, burst=3), chat_cap=Cap(per_second=2, burst=4))
    app: App = await make_app()
    people = [api.user(f"Грађанин {i}") for i in range(50)]
    await queue_calls(app, people, 4)
    channel = await start_bot(app, api)

    await api.wait_until(lambda: len(api.sent) >= 200, wait_s=60)
    await shut_down(app, channel)

    for person in people:
        assert calls_received(person) == ["A000", "A001", "A002", "A003"]
    assert len(api.sent) == 200
    assert api.throttled  # the server allows less than we aim at: Telegram said "429" ...
    assert api.unhandled_429() == 0  # ... and every refused message was sent afterwards


async def test_a_restart_in_the_middle_of_delivering_loses_nothing_and_repeats_nothing(
    make_app: Callable[..., Any], api: FakeBotApi
) -> None:
    people = [api.user(f"Грађанин {i}") for i in range(50)]
    app: App = await make_app()
    await queue_calls(app, people, 3)
    channel = await start_bot(app, api)
    await api.wait_until(lambda: len(api.sent) >= 20)

    await shut_down(app, channel)  # the operator restarts the server ...
    before = len(api.sent)
    app = await make_app()  # ... on the same data directory
    channel = await start_bot(app, api)
    await api.wait_until(lambda: len(api.sent) >= 150, wait_s=60)
    await shut_down(app, channel)

    assert 20 <= before < 150  # it was stopped with notifications still to send
    for person in people:
        assert calls_received(person) == ["A000", "A001", "A002"]  # each once, in order
    assert len(api.sent) == 150


async def test_a_chat_that_blocked_the_bot_is_given_up_and_others_go_on(
    make_app: Callable[..., Any], api: FakeBotApi
) -> None:
    ana, bojan = api.user("Ана"), api.user("Бојан")
    ana.blocked = True
    app: App = await make_app()
    await queue_calls(app, [ana, bojan], 2)
    channel = await start_bot(app, api)

    await api.wait_until(lambda: len(bojan.inbox) == 2)
    await shut_down(app, channel)

    assert ana.inbox == []
    refused = [r for r in api.refused if r[1] == 403]
    assert len(refused) == 2  # each tried once, never again
