"""One chat's notices are a queue whichever processes deliver them: only its head can be
claimed, and with it, by the same process, the notices behind it. And each message of a
notice is recorded in flight before it goes out, so a process that takes a notice over
knows what may have been on the wire. Each store opened here is another process on the
same database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import InDoubt, hall_changed, notify, outbound_of, sent_again
from flows.engine.records import Effect, OutboxItem, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock

SECOND = timedelta(seconds=1)
ANA = ConversationKey("telegram", "101")
MIRA = ConversationKey("telegram", "202")


def called(to: ConversationKey, ticket: str) -> Effect:
    text = Msg.of("notify.called", ticket=ticket, counter="2")
    return notify(to, "en", [text], f"called:{ticket}", in_doubt=InDoubt.RESEND)


def tickets(items: list[OutboxItem]) -> list[str]:
    return [str(outbound_of(i.effect).text[0].as_dict()["ticket"]) for i in items]


async def test_a_chat_s_notices_go_to_one_process_in_order_and_later_ones_wait(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2"), called(MIRA, "B1")]))
    await first.apply(Unit(effects=[hall_changed("kg")]))  # no chat: waits for nothing
    taken = await first.claim_effects(clock.now, 10, 15)
    # the head of each chat, and what is queued behind it, for first to send in order
    assert sorted(tickets(taken[:3])) == ["A1", "A2", "B1"]
    assert taken[3].effect.kind == "hall_changed"
    await first.apply(Unit(effects=[called(ANA, "A3")]))
    # A3 came behind A1 and A2, which first is sending: nobody else may send it now
    assert await second.claim_effects(clock.now, 10, 15) == []
    for item in taken:
        assert await first.effect_done(item.id)
    assert tickets(await second.claim_effects(clock.now, 10, 15)) == ["A3"]


async def test_notices_behind_one_that_fails_go_back_and_wait_for_it(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2"), called(MIRA, "B1")]))
    a1, a2, b1 = sorted(await store.claim_effects(clock.now, 10, 15), key=lambda i: i.id)
    assert await store.effect_retry(a1.id, clock.now + 30 * SECOND, "rate limited")
    assert await store.release_effects([a2.id]) == 1
    assert await store.effect_done(b1.id)
    await store.apply(Unit(effects=[called(MIRA, "B2")]))
    [b2] = await store.claim_effects(clock.now, 10, 15)
    assert tickets([b2]) == ["B2"] and await store.effect_done(b2.id)  # A2 waits for A1
    clock.advance(31 * SECOND)
    again = await store.claim_effects(clock.now, 10, 15)
    assert tickets(again) == ["A1", "A2"] and [i.attempts for i in again] == [1, 0]


async def test_notices_claimed_by_a_dead_process_are_taken_over_together_in_order(
    backend: Backend, clock: Clock
) -> None:
    dead, other = await backend.open(), await backend.open()
    await dead.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2")]))
    assert tickets(await dead.claim_effects(clock.now, 10, 15)) == ["A1", "A2"]
    assert await other.claim_effects(clock.now, 10, 15) == []
    clock.advance(16 * SECOND)  # its claims ran out
    taken = await other.claim_effects(clock.now, 10, 15)
    assert tickets(taken) == ["A1", "A2"]
    assert [i.sending_by for i in taken] == [None, None]  # nothing was on its way


async def test_a_message_on_its_way_when_its_process_died_is_known_to_the_next(
    backend: Backend, clock: Clock
) -> None:
    dead, other = await backend.open(), await backend.open()
    await dead.apply(Unit(effects=[called(ANA, "A1")]))
    [item] = await dead.claim_effects(clock.now, 10, 15)
    assert await dead.effect_sending(item.id, 0)
    assert await dead.effect_sending(item.id, 1)  # the first message was accepted
    assert not await other.effect_sending(item.id, 1)  # not other's to send
    clock.advance(16 * SECOND)
    [doubt] = await other.claim_effects(clock.now, 10, 15)
    assert (doubt.sending_by, doubt.sent_parts) == (dead.owner, 1)
    assert not await dead.effect_sending(item.id, 2)  # too late: it sends nothing more

    assert await other.effect_resend(doubt.id, sent_again(doubt.effect))
    assert await other.effect_retry(doubt.id, clock.now, "rate limited")
    [plain] = await other.claim_effects(clock.now, 10, 15)
    assert (plain.sending_by, plain.sent_parts) == (None, 1)  # resumed after the first
    assert outbound_of(plain.effect).text[-1].key == "notify.sent_again"


async def test_a_notice_given_up_in_doubt_is_uncertain_and_lets_the_next_one_go(
    backend: Backend, clock: Clock
) -> None:
    dead, other = await backend.open(), await backend.open()
    await dead.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2")]))
    item, _ = sorted(await dead.claim_effects(clock.now, 10, 15), key=lambda i: i.id)
    assert await dead.effect_sending(item.id, 0)
    clock.advance(16 * SECOND)
    doubt, a2 = sorted(await other.claim_effects(clock.now, 10, 15), key=lambda i: i.id)
    assert doubt.sending_by == dead.owner and a2.sending_by is None
    assert await other.effect_uncertain(doubt.id, "on its way in a process that died")
    assert not await other.effect_uncertain(doubt.id, "once")
    assert await other.effect_done(a2.id)
    rows = await other._db.fetch("SELECT status FROM outbox ORDER BY id")
    assert [row[0] for row in rows] == ["uncertain", "done"]
