"""What a messenger said about a chat, on both databases: reachable or not (the latest
word wins, whatever order the events arrive in), and how far each notification got."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.engine.messages import ConversationKey
from tests.state.conftest import Backend

ANA = ConversationKey("viber", "ana-id==")
T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def test_an_unsubscribed_chat_is_unreachable_for_every_process_until_it_subscribes(
    backend: Backend,
) -> None:
    here, there = await backend.open(), await backend.open()
    assert await there.chat_reachable(ANA)
    assert await here.set_chat_reach(ANA, False, T0)
    assert not await there.chat_reachable(ANA)
    assert await there.set_chat_reach(ANA, True, T0 + timedelta(minutes=5))
    assert await here.chat_reachable(ANA)


async def test_an_older_event_delivered_late_does_not_override_a_newer_one(
    backend: Backend,
) -> None:
    store = await backend.open()
    assert await store.set_chat_reach(ANA, True, T0 + timedelta(minutes=5))  # subscribed
    assert not await store.set_chat_reach(ANA, False, T0)  # the unsubscribe before, retried
    assert await store.chat_reachable(ANA)


async def test_writing_again_makes_an_unsubscribed_chat_reachable_but_an_older_message_does_not(
    backend: Backend,
) -> None:
    store = await backend.open()
    assert not await store.chat_wrote(ANA, T0)  # nothing marked: nothing to do
    await store.set_chat_reach(ANA, False, T0 + timedelta(minutes=1))
    assert not await store.chat_wrote(ANA, T0)  # written before the unsubscribe
    assert not await store.chat_reachable(ANA)
    assert await store.chat_wrote(ANA, T0 + timedelta(minutes=2))
    assert await store.chat_reachable(ANA)


async def test_receipts_of_a_notification_only_move_forward(backend: Backend) -> None:
    store = await backend.open()
    await store.record_sent("viber", ["501", "502"], "notice:1", T0)
    assert await store.record_receipt("viber", "501", "seen", T0 + timedelta(seconds=2))
    assert not await store.record_receipt("viber", "501", "delivered", T0 + timedelta(seconds=3))
    assert await store.record_receipt("viber", "502", "failed", T0 + timedelta(seconds=2))
    assert not await store.record_receipt("viber", "999", "delivered", T0)  # a reply's
    assert sorted(await store.receipts("notice:1")) == ["failed", "seen"]
    await store.record_sent("viber", ["501"], "notice:1", T0)  # sent again: no step back
    assert sorted(await store.receipts("notice:1")) == ["failed", "seen"]


async def test_old_receipts_and_old_reachable_marks_are_forgotten_unreachable_ones_stay(
    backend: Backend,
) -> None:
    store = await backend.open()
    bob = ConversationKey("viber", "bob-id==")
    await store.record_sent("viber", ["7"], "notice:2", T0)
    await store.set_chat_reach(ANA, False, T0)
    await store.set_chat_reach(bob, True, T0)
    assert await store.forget_chat_records(T0 + timedelta(days=31)) == 2
    assert await store.receipts("notice:2") == []
    assert not await store.chat_reachable(ANA)
