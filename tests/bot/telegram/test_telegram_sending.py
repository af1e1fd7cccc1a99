"""Sending to Telegram: limits, 429s, blocked users, network trouble, replies first.

Notifications go through the shared OutboxDelivery (the flows.engine.ports.Delivery the
outbox worker calls) against the fake Bot API server, which refuses what Telegram would refuse.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.pacing import FIRST_CONTACT, QUEUED, URGENT, SendLimiter
from bot.telegram import SendLimits, TelegramChannel
from flows.engine.channel_ports import RecipientGone, TryLater
from flows.engine.messages import ConversationKey, Msg, Outbound
from tests.bot.telegram.tg_support import ChannelFactory, StandInEngine, settle
from tests.fakes.bot_api_server import Cap, FakeBotApi
from tests.fakes.bot_api_users import FakeUser


def notice(user: FakeUser | int, text: str, language: str = "sr-Cyrl") -> Outbound:
    chat = user if isinstance(user, int) else user.id
    return Outbound(
        ConversationKey("telegram", str(chat)),
        language,
        (Msg.of("telegram.chosen", choice=text),),
    )


@dataclass
class RecordedAttempt:
    """flows.engine.ports.SendAttempt as the outbox keeps it in the store between tries:
    each message is recorded right before it goes out, and a retry starts from the one
    recorded last (the ones before it were accepted)."""

    first_part: int = 0

    async def sending(self, part: int) -> None:
        self.first_part = part


async def deliver_in_order(channel: TelegramChannel, outbounds: list[Outbound]) -> None:
    """What the outbox worker does for one chat: one notification after the other."""
    for outbound in outbounds:
        await channel.delivery.deliver(outbound)


async def test_a_notification_reaches_the_chat(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    channel = await channel_for(StandInEngine())
    ana = api.user("Ана")

    await channel.delivery.deliver(notice(ana, "пријава KG-7Q2A је одобрена"))

    assert [m.text for m in ana.inbox] == ["Ваш избор: пријава KG-7Q2A је одобрена"]


async def test_a_user_who_blocked_the_bot_is_gone(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    channel = await channel_for(StandInEngine())
    ana = api.user("Ана")
    ana.blocked = True

    with pytest.raises(RecipientGone):
        await channel.delivery.deliver(notice(ana, "подсетник"))
    with pytest.raises(RecipientGone):  # a chat Telegram does not know
        await channel.delivery.deliver(notice(424242, "подсетник"))
    assert ana.inbox == []


async def test_network_hiccups_are_retried_and_the_message_arrives_once(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    channel = await channel_for(StandInEngine())
    ana = api.user("Ана")
    api.fail_next("sendMessage", 2)

    await channel.delivery.deliver(notice(ana, "подсетник"))

    assert [m.text for m in ana.inbox] == ["Ваш избор: подсетник"]
    assert channel.sender.stats.network_failures == 2


async def test_a_long_outage_is_try_later_and_a_retry_resumes_without_duplicates(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    channel = await channel_for(StandInEngine())
    ana = api.user("Ана")
    long = Outbound(
        ConversationKey("telegram", str(ana.id)),
        "sr-Cyrl",
        tuple(Msg.of("telegram.chosen", choice=f"{n} " + "реч " * 700) for n in range(3)),
    )
    api.fail_next("sendMessage", 3, after=1)  # the first part goes through, then an outage
    outbox = RecordedAttempt()

    with pytest.raises(TryLater):
        await channel.delivery.deliver(long, outbox)
    assert len(ana.inbox) == 1 and outbox.first_part == 1
    await channel.delivery.deliver(long, outbox)  # the outbox worker (any process) tries again

    texts = [m.text for m in ana.inbox]
    assert len(texts) == len(set(texts)) == 3  # every part once, none twice
    assert [t.split(" ", 3)[2] for t in texts] == ["0", "1", "2"]


async def test_a_429_is_waited_out_and_the_messages_keep_their_order(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    fast = SendLimits(per_second=100, per_chat_per_second=50, per_chat_burst=5)
    channel = await channel_for(StandInEngine(), limits=fast)
    api.set_caps(chat_cap=Cap(per_second=4, burst=1))  # stricter than our client believes
    ana = api.user("Ана")

    await deliver_in_order(channel, [notice(ana, f"порука {n}") for n in range(3)])

    assert [m.text for m in ana.inbox] == [f"Ваш избор: порука {n}" for n in range(3)]
    assert api.throttled  # Telegram did refuse some ...
    assert api.unhandled_429() == 0  # ... and every refused one was sent afterwards


async def test_a_rate_limit_longer_than_the_outbox_waits_is_try_later(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    fast = SendLimits(per_second=100, per_chat_per_second=50, per_chat_burst=5)
    channel = await channel_for(StandInEngine(), limits=fast, notify_max_wait_s=0.5)
    api.set_caps(chat_cap=Cap(per_second=0.2, burst=1))  # Telegram says: wait 5 s
    ana = api.user("Ана")
    await channel.delivery.deliver(notice(ana, "прва"))

    with pytest.raises(TryLater) as later:
        await channel.delivery.deliver(notice(ana, "друга"))

    assert later.value.after_s >= 1
    assert [m.text for m in ana.inbox] == ["Ваш избор: прва"]


async def test_replies_to_people_go_before_queued_notifications(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    limits = SendLimits(per_second=20, per_chat_per_second=10, per_chat_burst=3)
    channel = await channel_for(StandInEngine(), limits=limits)
    waiting = [api.user(f"Грађанин {i}") for i in range(40)]
    ana = api.user("Ана")
    backlog = [
        asyncio.create_task(channel.delivery.deliver(notice(p, "подсетник"))) for p in waiting
    ]
    await waiting[0].next_message()  # the backlog is being sent, the rest waits for slots
    assert channel.delivery.backlog

    await ana.send_text("Здраво")
    reply = await ana.next_message()
    await asyncio.gather(*backlog)
    await settle(api, channel)

    position = api.sent.index(reply)
    assert position < len(api.sent) - 1, "the reply waited for the whole backlog"
    assert len(api.sent) - 1 - position >= 20  # it overtook most of the queued ones


async def test_someone_in_a_dialogue_is_answered_before_a_crowd_that_just_opened_the_bot(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    limits = SendLimits(per_second=20, per_chat_per_second=10, per_chat_burst=3)
    channel = await channel_for(StandInEngine(), limits=limits)
    crowd = [api.user(f"Грађанин {i}") for i in range(40)]  # after a TV announcement
    ana = api.user("Ана")  # already registering
    for person in crowd:
        await person.start()
    await crowd[0].next_message()  # the crowd's replies are going out, the rest wait

    await ana.send_text("Марковић")
    reply = await ana.next_message()
    await settle(api, channel)

    position = api.sent.index(reply)
    assert len(api.sent) - 1 - position >= 20, "the dialogue waited behind the crowd"
    assert all(p.inbox for p in crowd)  # and the crowd is answered all the same


async def test_the_pacer_grants_replies_before_earlier_notifications() -> None:
    limiter = SendLimiter(SendLimits(per_second=50, per_chat_per_second=50, per_chat_burst=5))
    granted: list[str] = []
    first_granted = asyncio.Event()

    async def take(name: str, chat: int, priority: int) -> None:
        await limiter.acquire(chat, priority)
        granted.append(name)
        first_granted.set()

    notices = [asyncio.create_task(take(f"notice {n}", n, QUEUED)) for n in range(5)]
    await first_granted.wait()
    reply = asyncio.create_task(take("reply", 99, URGENT))
    await asyncio.gather(reply, *notices)
    await limiter.close()

    assert granted[0] == "notice 0"
    assert granted[1] == "reply"
    assert granted[2:] == [f"notice {n}" for n in range(1, 5)]


async def test_the_pacer_grants_dialogues_then_first_contacts_then_notifications() -> None:
    limiter = SendLimiter(SendLimits(per_second=50, per_chat_per_second=50, per_chat_burst=5))
    granted: list[str] = []
    first_granted = asyncio.Event()

    async def take(name: str, chat: int, priority: int) -> None:
        await limiter.acquire(chat, priority)
        granted.append(name)
        first_granted.set()

    waiting = [asyncio.create_task(take("notice 0", 0, QUEUED))]
    await first_granted.wait()  # the next ones wait for slots
    waiting += [asyncio.create_task(take("notice 1", 1, QUEUED))]
    waiting += [asyncio.create_task(take(f"opened {n}", 10 + n, FIRST_CONTACT)) for n in range(2)]
    waiting += [asyncio.create_task(take("in a dialogue", 99, URGENT))]
    await asyncio.gather(*waiting)
    await limiter.close()

    assert granted == ["notice 0", "in a dialogue", "opened 0", "opened 1", "notice 1"]
