"""Conversations and `apply`: a message's changes are kept whole, once, or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import Choice, Expect, Msg, Outbound
from flows.engine.ports import DuplicateInbound, IllegalTransition, StoreError, VersionConflict
from flows.engine.records import AuditEntry, Conversation, Effect, Transition, Unit
from state import SqlStore, open_store
from tests.state.conftest import Backend
from tests.state.store_support import Clock, chat, printer_term, registration


def conversation(user: str = "100", channel: str = "telegram", **fields: object) -> Conversation:
    conv = Conversation(chat(user, channel), flow="registration", state="ask_name")
    for name, value in fields.items():
        setattr(conv, name, value)
    return conv


async def test_a_conversation_comes_back_as_it_was_saved(store: SqlStore, clock: Clock) -> None:
    conv = conversation(
        language="sr-Latn",
        slots={"first_name": "Ђорђе", "visit": {"day": "2025-03-11"}, "tries": [1, 2]},
        history=["start", "intro"],
        failures=2,
    )
    await store.apply(Unit(conversation=conv))

    assert conv.version > 0
    assert conv.updated_at == clock.now
    assert await store.load_conversation(chat()) == conv


async def test_an_unknown_chat_has_no_conversation(store: SqlStore) -> None:
    assert await store.load_conversation(chat("nobody")) is None


async def test_each_save_moves_the_version_on(store: SqlStore) -> None:
    conv = conversation()
    await store.apply(Unit(conversation=conv))
    first = conv.version
    conv.state = "ask_surname"
    await store.apply(Unit(conversation=conv))

    loaded = await store.load_conversation(chat())
    assert loaded is not None
    assert (loaded.state, loaded.version) == ("ask_surname", first + 1)


async def test_a_stale_version_is_refused_and_the_newer_answer_kept(store: SqlStore) -> None:
    await store.apply(Unit(conversation=conversation()))
    first = await store.load_conversation(chat())
    second = await store.load_conversation(chat())
    assert first is not None and second is not None
    first.state = "from_first_message"
    second.state = "from_second_message"
    read = second.version
    await store.apply(Unit(conversation=first))

    with pytest.raises(VersionConflict):
        await store.apply(Unit(conversation=second))
    assert second.version == read  # untouched: the engine reloads and runs the message again
    loaded = await store.load_conversation(chat())
    assert loaded is not None and loaded.state == "from_first_message"


async def test_two_first_messages_at_once_start_one_conversation(backend: Backend) -> None:
    one, other = await backend.open(), await backend.open()  # two processes, one database
    results = await asyncio.gather(
        one.apply(Unit(conversation=conversation(state="a"))),
        other.apply(Unit(conversation=conversation(state="b"))),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "VersionConflict"]


async def test_a_redelivered_message_changes_nothing(store: SqlStore, clock: Clock) -> None:
    await store.apply(Unit(conversation=conversation(), inbound_id=("telegram", "m1")))
    again = await store.load_conversation(chat())
    assert again is not None
    again.state = "would_move_on"
    redelivery = Unit(
        conversation=again,
        inbound_id=("telegram", "m1"),
        effects=[Effect("notify", "twice?", {"text": "hello"})],
    )
    with pytest.raises(DuplicateInbound):
        await store.apply(redelivery)

    loaded = await store.load_conversation(chat())
    assert loaded is not None and loaded.state == "ask_name"
    assert await store.claim_effects(clock.now + timedelta(seconds=1), 10, 30) == []


async def test_a_redelivered_message_gets_back_exactly_the_reply_it_was_given(
    store: SqlStore,
) -> None:
    """The reply is recorded with the unit in a compact form: every field comes back, the
    ones left at their defaults too."""
    rich = Outbound(
        key=chat(),
        language="sr-Latn",
        text=(Msg.of("reg.done", ref="R-1", visit=Msg.of("visit.day", date="01.12.")),),
        choices=(Choice("yes", Msg("choice.yes")), Choice("2026-12-01", Msg("weekday.1"))),
        expect=Expect.YES_NO,
        qr="https://t.me/bot?start=x",
        screen="registration.done",
        reference="R-1",
        ticket="A001",
        end=True,
        extras={"link.telegram": "https://t.me/bot?start=x"},
    )
    plain = Outbound(key=chat(), language="en", text=(Msg("menu.prompt"),))
    await store.apply(
        Unit(conversation=conversation(), inbound_id=("telegram", "m1"), reply=[rich, plain])
    )

    assert await store.recorded_reply("telegram", "m1") == [rich, plain]


async def test_the_same_message_id_on_another_channel_is_another_message(
    store: SqlStore,
) -> None:
    await store.apply(
        Unit(conversation=conversation("1", "telegram"), inbound_id=("telegram", "7"))
    )
    await store.apply(Unit(conversation=conversation("1", "viber"), inbound_id=("viber", "7")))

    assert await store.load_conversation(chat("1", "viber")) is not None


async def test_a_refused_unit_leaves_no_trace(store: SqlStore, clock: Clock) -> None:
    """An illegal move refuses everything else the message would have done."""
    await store.apply(Unit(new_registration=registration("R-1")))
    conv = conversation()
    unit = Unit(
        conversation=conv,
        inbound_id=("telegram", "m9"),
        links=[("R-1", chat())],
        transitions=[Transition("R-1", RegistrationStatus.APPROVED, officer_id=1)],
        effects=[Effect("notify", "approved:R-1", {"text": "approved"})],
        print_jobs=[("slip:R-1", "counter-1", "credentials", {"ref": "R-1"})],
        audit=[AuditEntry("officer:1", "approve", "R-1")],
    )
    with pytest.raises(IllegalTransition) as refused:
        await store.apply(unit)

    assert refused.value.ref == "R-1"
    assert refused.value.current is not None
    assert refused.value.current.status is RegistrationStatus.SUBMITTED
    assert conv.version == 0
    assert await store.load_conversation(chat()) is None
    assert await store.links_of("R-1") == []
    later = clock.now + timedelta(minutes=1)
    assert await store.claim_effects(later, 10, 30) == []
    assert (
        await store.claim_print_jobs("counter-1", later, 10, await printer_term(store, "counter-1"))
        == []
    )
    assert await store.audit_log("R-1") == []
    # The message id was not used up: the same message may be handled again.
    await store.apply(Unit(conversation=conv, inbound_id=("telegram", "m9")))
    assert conv.version > 0


async def test_a_kiosk_wipe_forgets_the_session(store: SqlStore) -> None:
    kiosk = chat("session-1", "kiosk")
    await store.apply(Unit(conversation=Conversation(kiosk, "registration", "ask_name")))
    await store.apply(Unit(forget=kiosk))

    assert await store.load_conversation(kiosk) is None
    await store.apply(Unit(conversation=Conversation(kiosk, "menu", "start")))  # fresh start
    assert (await store.load_conversation(kiosk)) is not None


async def test_a_copy_kept_by_another_process_never_overwrites_a_conversation_begun_again(
    backend: Backend, clock: Clock
) -> None:
    """Process A holds a conversation (a turn in flight, or a cache whose wake-up was lost);
    process B wipes it and the chat starts over, as many messages deep as A's copy: A's
    stale copy must be refused."""
    a, b = await backend.open(), await backend.open()
    await a.apply(Unit(conversation=conversation(slots={"jmbg": "0512981717776"})))
    stale = await a.load_conversation(chat())
    assert stale is not None
    await b.apply(Unit(forget=chat()))
    clock.advance(timedelta(seconds=1))
    await b.apply(Unit(conversation=conversation(state="fresh")))
    stale.state = "overwritten"
    with pytest.raises(VersionConflict):
        await a.apply(Unit(conversation=stale))
    now = await b.load_conversation(chat())
    assert now is not None and now.state == "fresh" and "jmbg" not in now.slots


async def test_two_hundred_messages_at_once_are_all_kept(backend: Backend) -> None:
    store = await backend.open()
    convs = [conversation(str(n), state=f"step-{n}") for n in range(200)]
    await asyncio.gather(
        *(
            store.apply(
                Unit(
                    conversation=conv,
                    inbound_id=("telegram", f"m{n}"),
                    effects=[Effect("notify", f"e{n}", {"n": n})],
                )
            )
            for n, conv in enumerate(convs)
        )
    )
    assert all(conv.version > 0 for conv in convs)
    await store.close()

    reopened = await backend.open()  # after a restart, everything answered is there
    for n in range(200):
        loaded = await reopened.load_conversation(chat(str(n)))
        assert loaded is not None and loaded.state == f"step-{n}"
    effects = await reopened.claim_effects(backend.clock.now + timedelta(seconds=1), 500, 30)
    assert sorted(item.effect.key for item in effects) == sorted(f"e{n}" for n in range(200))


async def test_a_refused_message_among_many_does_not_hold_the_others_back(
    store: SqlStore,
) -> None:
    stale = conversation("stale")
    await store.apply(Unit(conversation=stale))
    stale.version = 0  # as if loaded before the first save: refused
    convs = [conversation(str(n)) for n in range(20)]
    units = [
        Unit(conversation=conv, inbound_id=("telegram", f"m{n}")) for n, conv in enumerate(convs)
    ]
    units.insert(10, Unit(conversation=stale, inbound_id=("telegram", "stale")))

    results = await asyncio.gather(*(store.apply(u) for u in units), return_exceptions=True)

    assert isinstance(results[10], VersionConflict)
    assert [r for i, r in enumerate(results) if i != 10] == [None] * 20
    for n in range(20):
        assert await store.load_conversation(chat(str(n))) is not None


async def test_a_broken_message_among_many_fails_alone(store: SqlStore) -> None:
    """A unit the database itself rejects (a link to no registration) raises for its own
    sender only."""
    units = [Unit(conversation=conversation(str(n))) for n in range(10)]
    units[5].links.append(("R-404", chat("5")))

    results = await asyncio.gather(*(store.apply(u) for u in units), return_exceptions=True)

    assert isinstance(results[5], Exception) and not isinstance(results[5], StoreError)
    assert await store.load_conversation(chat("5")) is None
    assert [r for i, r in enumerate(results) if i != 5] == [None] * 9
    assert all([await store.load_conversation(chat(str(n))) for n in range(10) if n != 5])


async def test_housekeeping_while_messages_arrive_loses_none_of_them(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(
        Unit(new_registration=registration("OLD", created_at=clock.now - timedelta(days=40)))
    )
    convs = [conversation(str(n)) for n in range(60)]
    jobs: list[Coroutine[Any, Any, object]] = [store.apply(Unit(conversation=c)) for c in convs]
    jobs.insert(20, store.expire_due(clock.now))
    jobs.insert(40, store.purge(clock.now - timedelta(days=400)))

    results = await asyncio.gather(*jobs)

    assert results[20] == ["OLD"] and results[40] == 0
    assert all(conv.version > 0 for conv in convs)
    for n in range(60):
        assert await store.load_conversation(chat(str(n))) is not None


async def test_the_database_file_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/var/ecitizen.db"  # the folder is made on first use
    store = await open_store(url)
    await store.apply(Unit(conversation=conversation(slots={"first_name": "Ана"})))
    await store.apply(Unit(new_registration=registration("R-1"), links=[("R-1", chat())]))
    await store.close()

    reopened = await open_store(url)
    try:
        loaded = await reopened.load_conversation(chat())
        assert loaded is not None and loaded.slots == {"first_name": "Ана"}
        assert [r.ref for r in await reopened.registrations_linked_to(chat())] == ["R-1"]
    finally:
        await reopened.close()


async def test_a_conversation_changed_by_another_process_is_never_overwritten(
    store: SqlStore, backend: Backend
) -> None:
    """This process keeps the conversations it saved in memory; another process's save
    makes that copy stale, and the stale copy can only end in a version conflict."""
    mine = conversation(slots={"first_name": "Ана"})
    await store.apply(Unit(conversation=mine))
    other = await backend.open()
    theirs = await other.load_conversation(mine.key)
    assert theirs is not None
    theirs.slots["last_name"] = "Петровић"
    await other.apply(Unit(conversation=theirs))

    stale = await store.load_conversation(mine.key)  # from memory: one version behind
    assert stale is not None
    stale.slots["jmbg"] = "0512981717776"
    with pytest.raises(VersionConflict):
        await store.apply(Unit(conversation=stale))
    fresh = await store.load_conversation(mine.key)  # the refusal dropped the copy
    assert fresh is not None and fresh.slots == {"first_name": "Ана", "last_name": "Петровић"}
    fresh.slots["jmbg"] = "0512981717776"
    await store.apply(Unit(conversation=fresh))
    final = await (await backend.open()).load_conversation(mine.key)  # what the database has
    assert final is not None and set(final.slots) == {"first_name", "last_name", "jmbg"}


async def test_a_wiped_conversation_does_not_live_on_in_memory(store: SqlStore) -> None:
    conv = conversation(slots={"first_name": "Ана"})
    await store.apply(Unit(conversation=conv))
    await store.apply(Unit(forget=conv.key))
    assert await store.load_conversation(conv.key) is None


async def test_the_conversation_and_the_reply_are_kept_as_text(store: SqlStore) -> None:
    """SQLite is handed the JSON as UTF-8 bytes: it must still keep text (what an operator's
    query, a copy of the database or PostgreSQL reads), Cyrillic as it was typed."""
    conv = conversation(slots={"first_name": "Ђорђе"})
    reply = Outbound(key=chat(), language="sr-Cyrl", text=(Msg.of("ask.x", name="Ђорђе"),))
    await store.apply(Unit(conversation=conv, inbound_id=("telegram", "m1"), reply=[reply]))
    conv.state = "ask_surname"
    await store.apply(Unit(conversation=conv, inbound_id=("telegram", "m2"), reply=[reply]))

    data = await store._db.fetch("SELECT data FROM conversations")
    replies = await store._db.fetch("SELECT reply FROM processed_inbound ORDER BY message_id")
    assert [type(row[0]) for row in [*data, *replies]] == [str, str, str]
    assert "Ђорђе" in data[0][0] and all("Ђорђе" in row[0] for row in replies)
