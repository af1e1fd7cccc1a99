"""Notifications from the outbox reach Viber users, and only those who can be written to.

Viber lets a bot write only to people who subscribed: an `unsubscribed` callback (on any
process) marks the chat unreachable in the store and its notifications stop; they resume
after `subscribed`, or after the person writes again. Sends that fail are retried; a
callback whose reply could not be sent is answered 503, and Viber's retry replays it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from tests.bot.viber.vb_support import Person, ViberBot, serve_viber
from tests.conftest import Clock
from tests.fakes.viber_api import FakeViberApi


async def subscribed(bot: ViberBot, name: str = "Ана") -> Person:
    person = bot.person(name)
    await person.opens()
    await person.says("/start")  # writing subscribes
    person.user.unread()
    return person


async def notice(bot: ViberBot, person: Person, n: int) -> str:
    key = ConversationKey("viber", person.user.id)
    text = Msg.of("status.view", ref=f"KG7Q-2A9{n}", status="s", hall="h", visit="v")
    effect = notify(key, "sr-Cyrl", [text], f"test-{n}", in_doubt=InDoubt.RESEND)
    await bot.app.store.apply(Unit(effects=[effect]))
    bot.app.outbox.wake()
    return effect.key


async def settled(bot: ViberBot) -> None:
    while await bot.app.outbox.run_once():
        pass


async def by_hand(bot: ViberBot) -> None:
    """The outbox worker stopped (its round finished): the test runs the rounds."""
    bot.app.outbox.stop()
    await asyncio.wait([t for t in bot.app.tasks if t.get_name() == "outbox"])


async def test_a_notification_reaches_a_viber_user_and_its_receipts_are_kept(
    bot: ViberBot,
) -> None:
    ana = await subscribed(bot)
    key = await notice(bot, ana, 1)
    await bot.api.wait_until(lambda: any("KG7Q-2A91" in m.text for m in ana.user.inbox))
    [message] = ana.user.unread()
    await by_hand(bot)  # the worker's round is over: what it sent is recorded
    assert await bot.app.store.receipts(key) == ["sent"]

    assert await bot.api.receipt(ana.user, message.token, "delivered") == 200
    assert await bot.app.store.receipts(key) == ["delivered"]
    assert await bot.api.receipt(ana.user, message.token, "seen") == 200
    assert await bot.api.receipt(ana.user, message.token, "delivered") == 200  # late, kept out
    assert await bot.app.store.receipts(key) == ["seen"]


async def test_an_unsubscribed_chat_gets_nothing_until_it_subscribes_again(bot: ViberBot) -> None:
    ana = await subscribed(bot)
    await by_hand(bot)
    chat = ConversationKey("viber", ana.user.id)
    assert await ana.user.unsubscribe() == 200
    assert not await bot.app.store.chat_reachable(chat)

    await notice(bot, ana, 1)
    await settled(bot)
    assert ana.user.unread() == []
    assert bot.api.refused == []  # not even tried: the store said she left

    assert await ana.user.subscribe() == 200
    assert await bot.app.store.chat_reachable(chat)
    await notice(bot, ana, 2)
    await settled(bot)
    assert [m.text for m in ana.user.unread() if "KG7Q-2A9" in m.text] == [
        next(m.text for m in ana.user.inbox if "KG7Q-2A92" in m.text)
    ]


async def test_writing_again_after_unsubscribing_makes_the_chat_reachable(bot: ViberBot) -> None:
    ana = await subscribed(bot)
    await ana.user.unsubscribe()
    assert "Добро дошли" in await ana.says("/start")
    assert await bot.app.store.chat_reachable(ConversationKey("viber", ana.user.id))


async def test_a_send_refused_because_the_person_left_marks_the_chat_for_every_process(
    bot: ViberBot, make_app: Callable[..., Any]
) -> None:
    ana = await subscribed(bot)
    await by_hand(bot)
    ana.user.subscribed = False  # she left, and Viber's callback about it got lost
    await notice(bot, ana, 1)
    await settled(bot)
    assert (("send_message", 6, "receiverNotSubscribed")) in bot.api.refused
    other_process = await make_app()
    try:
        assert not await other_process.store.chat_reachable(ConversationKey("viber", ana.user.id))
    finally:
        await other_process.close()


@pytest.fixture
async def impatient_bot(make_app: Callable[..., Any], api: FakeViberApi) -> AsyncIterator[ViberBot]:
    app = await make_app()
    served = await serve_viber(app, api, throttled_wait_s=0.01, notify_max_wait_s=0.0)
    yield served
    await served.close()


async def test_too_many_messages_to_one_person_waits_and_is_sent_later(
    impatient_bot: ViberBot, clock: Clock
) -> None:
    bot = impatient_bot
    ana = await subscribed(bot)
    await by_hand(bot)
    bot.api.fail_next(12)  # Viber: 100 messages to her within the hour without a reply
    await notice(bot, ana, 1)
    await settled(bot)
    assert ana.user.unread() == []
    clock.advance(seconds=1)
    await settled(bot)
    assert [m.text for m in ana.user.unread() if "KG7Q-2A91" in m.text]


async def test_a_reply_viber_could_not_take_is_replayed_when_viber_retries_the_callback(
    bot: ViberBot,
) -> None:
    ana = await subscribed(bot)
    bot.api.break_next(3)  # every try of the reply meets a broken proxy
    status = await ana.user.press("Постани еГрађанин")

    assert status == 200  # in the end: Viber retried the callback, we answered
    tries = [s for event, _, s in bot.api.callbacks if event == "message"]
    assert tries[-2:] == [503, 200]
    answers = [m.text for m in ana.user.unread()]
    assert len(answers) == 1 and "Изаберите језик" in answers[0]  # once, not twice
