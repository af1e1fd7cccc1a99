"""One chat's notices are a queue whichever processes deliver them: only its head can be
claimed. And each message of a notice is recorded in flight before it goes out, so a
process that takes a notice over knows what may have been on the wire. Each store opened
here is another process on the same database (SQLite and PostgreSQL)."""

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


async def test_a_chat_s_second_notice_waits_until_its_first_is_delivered(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2"), called(MIRA, "B1")]))
    await first.apply(Unit(effects=[hall_changed("kg")]))  # no chat: waits for nothing
    taken = await first.claim_effects(clock.now, 10, 15)
    assert tickets(taken[:2]) == ["A1", "B1"] and taken[2].effect.kind == "hall_changed"
    # A2 stays behind A1 for every process while A1 is on its way
    assert await second.claim_effects(clock.now, 10, 15) == []
    assert await first.effect_done(taken[0].id)
    assert tickets(await second.claim_effects(clock.now, 10, 15)) == ["A2"]


async def test_a_notice_backing_off_holds_back_the_chat_s_later_ones(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(Unit(effects=[called(ANA, "A1")]))
    [a1] = await store.claim_effects(clock.now, 10, 15)
    assert await store.effect_retry(a1.id, clock.now + 30 * SECOND, "rate limited")
    await store.apply(Unit(effects=[called(ANA, "A2"), called(MIRA, "B1")]))
    [b1] = await store.claim_effects(clock.now, 10, 15)
    assert tickets([b1]) == ["B1"] and await store.effect_done(b1.id)
    clock.advance(31 * SECOND)
    [again] = await store.claim_effects(clock.now, 10, 15)
    assert tickets([again]) == ["A1"] and again.attempts == 1
    assert await store.effect_done(again.id)
    assert tickets(await store.claim_effects(clock.now, 10, 15)) == ["A2"]


async def test_a_notice_claimed_by_a_dead_process_holds_back_the_rest_until_taken_over(
    backend: Backend, clock: Clock
) -> None:
    dead, other = await backend.open(), await backend.open()
    await dead.apply(Unit(effects=[called(ANA, "A1"), called(ANA, "A2")]))
    assert tickets(await dead.claim_effects(clock.now, 10, 15)) == ["A1"]
    clock.advance(16 * SECOND)  # its claim ran out: A1 first, then A2
    [a1] = await other.claim_effects(clock.now, 10, 15)
    assert tickets([a1]) == ["A1"] and a1.sending_by is None  # nothing was on its way
    assert await other.effect_done(a1.id)
    assert tickets(await other.claim_effects(clock.now, 10, 15)) == ["A2"]


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
    [item] = await dead.claim_effects(clock.now, 10, 15)
    assert await dead.effect_sending(item.id, 0)
    clock.advance(16 * SECOND)
    [doubt] = await other.claim_effects(clock.now, 10, 15)
    assert await other.effect_uncertain(doubt.id, "on its way in a process that died")
    assert not await other.effect_uncertain(doubt.id, "once")
    assert tickets(await other.claim_effects(clock.now, 10, 15)) == ["A2"]
    rows = await other._db.fetch("SELECT status FROM outbox ORDER BY id")
    assert [row[0] for row in rows] == ["uncertain", "pending"]
