"""Kiosk sessions in the store: any process answers any tap, one turn per number, and the
idle wipe takes the session and its conversation together, from whichever process. A
session moves on only inside a message's unit, so a turn and the sweep never both win."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flows.engine.messages import ConversationKey, Msg, Outbound, SessionStep
from flows.engine.ports import SessionEnded
from flows.engine.records import Conversation, KioskSession, NewTicket, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock

QUIET = timedelta(seconds=110)


async def until_forgotten(store: SqlStore, key: ConversationKey) -> None:
    """The other process hears of the wipe (on PostgreSQL a moment later)."""
    for _ in range(200):
        if await store.load_conversation(key) is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} still known to the other process")


def kiosk_session(token: str = "tok1", hall: str = "kg") -> KioskSession:
    return KioskSession(token=token, hall=hall, key=ConversationKey("kiosk", f"{hall}:{token}"))


async def step_unit(
    store: SqlStore,
    session: KioskSession,
    read_seq: int,
    request: dict[str, object],
    screen: str = "menu",
) -> Unit:
    """A message's unit from the kiosk: its conversation as the turn read it, its reply,
    the session's step."""
    seq = read_seq + 1
    conv = await store.load_conversation(session.key) or Conversation(session.key)
    conv.flow, conv.state = "registration", "first_name"
    conv.slots["first_name"] = "Драгослава"
    reply = Outbound(session.key, language="en", text=(Msg("menu.prompt"),), screen=screen)
    return Unit(
        conversation=conv,
        inbound_id=("kiosk", f"{session.token}:{seq}"),
        session=SessionStep(session.token, read_seq, seq, request),
        reply=[reply],
    )


async def started(store: SqlStore, token: str = "tok1") -> KioskSession:
    """A session whose first tap reached the engine: a conversation and inbound id exist."""
    session = kiosk_session(token)
    await store.add_kiosk_session(session)
    await store.apply(await step_unit(store, session, 0, {"choice": "ok"}))
    found = await store.kiosk_session(token)
    assert found is not None
    return found


def ticket(clock: Clock) -> NewTicket:
    return NewTicket("kg", clock.now.date(), "A", 1, clock.now)


async def test_a_session_moves_on_with_its_message_and_another_process_sees_it(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await started(first)
    got = await second.kiosk_session("tok1")
    assert got is not None and got.seq == 1 and got.last_seen == clock.now
    assert got.language == "en" and got.last_request == {"choice": "ok"} and got.touched
    shown = await second.recorded_reply("kiosk", "tok1:1")  # what the session shows
    assert shown is not None and shown[-1].screen == "menu"
    assert await second.kiosk_session("nobody") is None


async def test_two_turns_at_one_number_the_first_stands_and_the_second_writes_nothing(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    session = kiosk_session()
    await first.add_kiosk_session(session)
    one = await step_unit(first, session, 0, {"choice": "menu.register"}, "registration.intro")
    other = await step_unit(second, session, 0, {"choice": "menu.ticket"}, "ticket.service")
    other.new_tickets.append(ticket(clock))
    results = await asyncio.gather(first.apply(one), second.apply(other), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "SessionEnded"]
    winner = one if results[0] is None else other
    now = await second.kiosk_session("tok1")
    assert now is not None and now.seq == 1
    assert now.last_request == (winner.session.request if winner.session else None)
    tickets = await second.tickets("kg", clock.now.date())
    assert len(tickets) == (1 if winner is other else 0)  # the loser's ticket never was


async def test_a_turn_whose_session_the_sweep_wiped_meanwhile_is_refused_whole(
    backend: Backend, clock: Clock
) -> None:
    """Issue 8: a slow tap outlived the idle limit. The sweep wins: no ticket, no
    conversation, no session, nothing of the turn anywhere."""
    serving, sweeping = await backend.open(), await backend.open()
    session = await started(serving)
    read = await serving.kiosk_session(session.token)  # the request came in
    assert read is not None
    clock.advance(QUIET + timedelta(seconds=1))  # ...and its turn ran this long
    for idle in await sweeping.idle_kiosk_sessions(QUIET, limit=10):
        assert await sweeping.forget_kiosk_session(idle, ["tok1:1"], idle_for=QUIET)
    unit = await step_unit(serving, read, read.seq, {"choice": "A"}, "ticket.done")
    unit.new_tickets.append(ticket(clock))
    try:
        await serving.apply(unit)
        raise AssertionError("a turn committed into a wiped session")
    except SessionEnded:
        pass
    assert await sweeping.tickets("kg", clock.now.date()) == []
    assert await sweeping.load_conversation(session.key) is None
    assert await sweeping.kiosk_session(session.token) is None
    assert await sweeping.recorded_reply("kiosk", "tok1:2") is None


async def test_a_turn_that_committed_first_keeps_its_session_from_the_sweep(
    backend: Backend, clock: Clock
) -> None:
    """The turn wins: its commit marks the session seen, so the sweep that had found the
    session idle a moment before deletes nothing, and the ticket has its person."""
    serving, sweeping = await backend.open(), await backend.open()
    session = await started(serving)
    clock.advance(QUIET + timedelta(seconds=1))
    found = await sweeping.idle_kiosk_sessions(QUIET, limit=10)
    assert [s.token for s in found] == ["tok1"]
    unit = await step_unit(serving, session, session.seq, {"choice": "A"}, "ticket.done")
    unit.new_tickets.append(ticket(clock))
    await serving.apply(unit)
    assert not await sweeping.forget_kiosk_session(found[0], ["tok1:1"], idle_for=QUIET)
    now = await sweeping.kiosk_session(session.token)
    assert now is not None and now.seq == 2 and now.last_seen == clock.now
    assert await sweeping.load_conversation(session.key) is not None
    assert len(await sweeping.tickets("kg", clock.now.date())) == 1


async def test_a_turn_racing_the_sweep_either_wins_whole_or_leaves_nothing(
    backend: Backend, clock: Clock
) -> None:
    """The two at the same moment, each from its own process, many times over: a ticket
    exactly for each turn that won, and never a wiped session with something left."""
    serving, sweeping = await backend.open(), await backend.open()
    day, won = clock.now.date(), 0
    for round_ in range(12):
        token = f"race{round_}"
        session = await started(serving, token)
        clock.advance(QUIET + timedelta(seconds=1))
        unit = await step_unit(serving, session, 1, {"choice": "A"}, "ticket.done")
        unit.new_tickets.append(NewTicket("kg", day, "A", 1, clock.now))
        turn, wipe = await asyncio.gather(
            serving.apply(unit),
            sweeping.forget_kiosk_session(session, [f"{token}:1"], idle_for=QUIET),
            return_exceptions=True,
        )
        now = await sweeping.kiosk_session(token)
        kept = await sweeping.load_conversation(session.key)
        if turn is None:  # the turn won: its session, conversation and ticket stand
            assert wipe is False and now is not None and now.seq == 2 and kept is not None
            won += 1
        else:  # the sweep won: nothing of the turn anywhere
            assert isinstance(turn, SessionEnded) and wipe is True
            assert now is None and kept is None
            assert await sweeping.recorded_reply("kiosk", f"{token}:2") is None
        assert len(await sweeping.tickets("kg", day)) == won


async def test_reading_touches_only_when_asked_and_only_after_a_while(
    store: SqlStore, clock: Clock
) -> None:
    session = kiosk_session()
    await store.add_kiosk_session(session)
    start = clock.now
    clock.advance(timedelta(seconds=3))
    got = await store.kiosk_session("tok1", touch_every=timedelta(seconds=5))
    assert got is not None and got.last_seen == start  # recent enough: no write
    clock.advance(timedelta(seconds=3))
    assert (await store.kiosk_session("tok1")).last_seen == start  # type: ignore[union-attr]
    got = await store.kiosk_session("tok1", touch_every=timedelta(seconds=5))
    assert got is not None and got.last_seen == clock.now
    assert (await store.kiosk_session("tok1")).last_seen == clock.now  # type: ignore[union-attr]


async def test_the_wipe_takes_the_session_its_conversation_and_its_message_ids(
    store: SqlStore,
) -> None:
    session = await started(store)
    assert await store.load_conversation(session.key) is not None
    assert await store.forget_kiosk_session(session, ["tok1:1"])
    assert await store.kiosk_session("tok1") is None
    assert await store.load_conversation(session.key) is None
    # The message id is free again: nothing of the session is left behind.
    await store.apply(Unit(inbound_id=("kiosk", "tok1:1")))
    assert not await store.forget_kiosk_session(session)  # once only; nothing left


async def test_the_idle_wipe_runs_from_any_process_and_spares_a_session_seen_meanwhile(
    backend: Backend, clock: Clock
) -> None:
    serving, sweeping = await backend.open(), await backend.open()
    idle = await started(serving, "idle1")
    busy = await started(serving, "busy1")
    clock.advance(QUIET + timedelta(seconds=1))
    found = await sweeping.idle_kiosk_sessions(QUIET, limit=10)
    assert sorted(s.token for s in found) == ["busy1", "idle1"]
    # A tap reaches the busy kiosk between the sweep's look and its wipe.
    assert await serving.kiosk_session("busy1", touch_every=timedelta(seconds=5)) is not None
    wiped = [await sweeping.forget_kiosk_session(s, idle_for=QUIET) for s in found]
    assert wiped == [s.token == "idle1" for s in found]
    assert await sweeping.kiosk_session("idle1") is None
    assert await sweeping.load_conversation(idle.key) is None
    assert await sweeping.kiosk_session("busy1") is not None
    assert await sweeping.load_conversation(busy.key) is not None
    # The serving process kept a copy of the wiped conversation: it drops it too.
    await until_forgotten(serving, idle.key)
    assert await serving.load_conversation(busy.key) is not None


async def test_after_a_restart_no_kiosk_conversation_outlives_its_idle_limit(
    backend: Backend, clock: Clock
) -> None:
    before = await backend.open()
    held = await started(before, "held1")
    # A conversation no session holds (a turn that raced a wipe, then a crash).
    orphan = ConversationKey("kiosk", "kg:orphan1")
    await before.apply(Unit(conversation=Conversation(orphan, flow="registration", state="x")))
    chat = ConversationKey("telegram", "42")  # other channels are not the kiosk's to wipe
    await before.apply(Unit(conversation=Conversation(chat, flow="registration", state="x")))
    await before.close()

    clock.advance(QUIET + timedelta(seconds=1))
    after = await backend.open()  # the restart
    for session in await after.idle_kiosk_sessions(QUIET, limit=10):
        assert await after.forget_kiosk_session(session, idle_for=QUIET)
    assert await after.forget_idle_kiosk_conversations("kiosk", QUIET) == 1
    assert await after.load_conversation(held.key) is None
    assert await after.load_conversation(orphan) is None
    assert await after.load_conversation(chat) is not None
    assert await after.forget_idle_kiosk_conversations("kiosk", QUIET) == 0


async def test_a_fresh_kiosk_conversation_without_a_session_waits_for_its_idle_limit(
    store: SqlStore, clock: Clock
) -> None:
    key = ConversationKey("kiosk", "kg:young1")
    await store.apply(Unit(conversation=Conversation(key, flow="registration", state="x")))
    clock.advance(QUIET - timedelta(seconds=1))
    assert await store.forget_idle_kiosk_conversations("kiosk", QUIET) == 0
    assert await store.load_conversation(key) is not None


async def test_the_next_persons_session_is_made_in_the_wipe_of_the_last(
    store: SqlStore, clock: Clock
) -> None:
    session = await started(store)
    successor = kiosk_session("tok2")
    assert await store.forget_kiosk_session(session, ["tok1:1"], successor=successor)
    assert await store.kiosk_session("tok1") is None
    assert await store.load_conversation(session.key) is None
    fresh = await store.kiosk_session("tok2")
    assert fresh is not None and fresh.seq == 0 and fresh.last_seen == clock.now
    assert successor.last_seen == clock.now
