"""Kiosk sessions in the store: any process answers any tap, one turn per number, and the
idle wipe takes the session and its conversation together, from whichever process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flows.engine.messages import ConversationKey
from flows.engine.records import Conversation, KioskSession, Unit
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


async def started(store: SqlStore, token: str = "tok1") -> KioskSession:
    """A session whose first tap reached the engine: a conversation and inbound id exist."""
    session = kiosk_session(token)
    await store.add_kiosk_session(session)
    conv = Conversation(session.key, flow="registration", state="first_name")
    conv.slots["first_name"] = "Драгослава"
    await store.apply(Unit(conversation=conv, inbound_id=("kiosk", f"{token}:1")))
    previous = session.seq
    session.seq, session.screen = 1, {"name": "registration.first_name"}
    session.last_request = {"choice": "ok"}
    assert await store.save_kiosk_turn(session, previous)
    return session


async def test_a_session_comes_back_as_saved_in_another_process(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    session = await started(first)
    got = await second.kiosk_session("tok1")
    assert got == session and got.last_seen == clock.now
    assert got.screen == {"name": "registration.first_name"} and got.touched
    assert await second.kiosk_session("nobody") is None


async def test_a_turn_saved_at_a_stale_number_is_refused_and_the_first_stands(
    backend: Backend,
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.add_kiosk_session(kiosk_session())
    one, other = await first.kiosk_session("tok1"), await second.kiosk_session("tok1")
    assert one is not None and other is not None
    one.seq, one.screen = 1, {"name": "menu"}
    other.seq, other.screen = 1, {"name": "ticket.service"}
    saved = await asyncio.gather(first.save_kiosk_turn(one, 0), second.save_kiosk_turn(other, 0))
    assert sorted(saved) == [False, True]
    winner = one if saved[0] else other
    now = await second.kiosk_session("tok1")
    assert now is not None and now.seq == 1 and now.screen == winner.screen


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
