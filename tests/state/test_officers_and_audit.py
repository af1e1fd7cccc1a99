"""Officers enrol once with an invite, can be revoked; the audit log keeps who did what."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from flows.engine.messages import ConversationKey
from flows.engine.ports import InviteGone, VersionConflict
from flows.engine.records import AuditEntry, CounterChange, Enrollment, Officer, OfficerInvite, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock, chat

HOUR = timedelta(hours=1)


def invite(code_hash: str, clock: Clock, *, valid_for: timedelta = HOUR) -> OfficerInvite:
    return OfficerInvite(code_hash, "Милица Петровић", "kg", clock.now + valid_for)


async def redeem(store: SqlStore, code_hash: str, key: ConversationKey, clock: Clock) -> Officer:
    """What the enrollment flow does: read the invite, then redeem it in the unit."""
    found = await store.invite(code_hash)
    assert found is not None
    await store.apply(
        Unit(enrollments=[Enrollment(code_hash, key, clock.now, found.name, found.hall)])
    )
    officer = await store.officer_for(key)
    assert officer is not None
    return officer


async def test_an_invite_makes_the_chat_an_officer_once(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock))

    officer = await redeem(store, "hash-1", chat("milica"), clock)
    assert (officer.name, officer.hall, officer.active, officer.counter) == (
        "Милица Петровић",
        "kg",
        True,
        None,
    )
    assert (officer.channel, officer.user_key) == ("telegram", "milica")
    assert await store.officer_for(chat("milica")) == officer
    assert await store.officer(officer.id) == officer
    assert await store.invite("hash-1") is None
    [entry] = await store.audit_log()
    assert (entry.actor, entry.action, entry.detail) == (f"officer:{officer.id}", "enroll", "kg")
    used = Enrollment("hash-1", chat("someone-else"), clock.now, "X", "kg")
    with pytest.raises(InviteGone):
        await store.apply(Unit(enrollments=[used]))


async def test_an_unknown_or_expired_invite_enrols_nobody(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock, valid_for=HOUR))
    assert await store.invite("wrong") is None
    late = Enrollment("hash-1", chat("x"), clock.now + 2 * HOUR, "Милица Петровић", "kg")
    with pytest.raises(InviteGone):
        await store.apply(Unit(enrollments=[late]))
    assert await store.officer_for(chat("x")) is None
    assert await store.officers() == []


async def test_one_invite_redeemed_twice_at_once_enrols_one_chat(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.add_invite(invite("hash-1", clock))
    units = [
        Unit(enrollments=[Enrollment("hash-1", chat(who), clock.now, "Милица", "kg")])
        for who in ("a", "b")
    ]
    results = await asyncio.gather(
        first.apply(units[0]), second.apply(units[1]), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["InviteGone", "NoneType"]
    assert len(await first.officers()) == 1


async def test_a_revoked_officer_is_an_ordinary_chat_again(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock))
    officer = await redeem(store, "hash-1", chat("milica"), clock)
    await store.apply(Unit(counter_changes=[CounterChange(officer.id, "3")]))
    at_counter = await store.officer_for(chat("milica"))
    assert at_counter is not None and at_counter.counter == "3"

    assert await store.revoke_officer(officer.id)
    assert not await store.revoke_officer(officer.id)
    with pytest.raises(VersionConflict):  # a revoked officer takes no counter
        await store.apply(Unit(counter_changes=[CounterChange(officer.id, "2")]))
    assert await store.officer_for(chat("milica")) is None
    [listed] = await store.officers("kg")
    assert (listed.id, listed.active, listed.counter) == (officer.id, False, None)
    assert await store.officers("bg") == []

    # A new invite brings the same person back, under the same officer id.
    await store.add_invite(invite("hash-2", clock))
    again = await redeem(store, "hash-2", chat("milica"), clock)
    assert (again.id, again.active) == (officer.id, True)


async def test_the_audit_log_lists_the_latest_first(store: SqlStore, clock: Clock) -> None:
    await store.audit(AuditEntry("officer:1", "claim", "R-1"))
    clock.advance(HOUR)
    await store.apply(Unit(audit=[AuditEntry("officer:1", "approve", "R-1", detail="counter 2")]))
    await store.audit(AuditEntry("operator", "invite", None, at=clock.now + HOUR))

    entries = await store.audit_log()
    assert [(e.actor, e.action, e.ref) for e in entries] == [
        ("operator", "invite", None),
        ("officer:1", "approve", "R-1"),
        ("officer:1", "claim", "R-1"),
    ]
    assert entries[0].at == clock.now + HOUR
    assert entries[1].at == clock.now and entries[1].detail == "counter 2"
    assert [e.action for e in await store.audit_log("R-1", limit=1)] == ["approve"]


async def test_the_database_refuses_to_change_or_delete_an_audit_entry(store: SqlStore) -> None:
    """Append-only in the database itself, not by convention: not even SQL typed by hand
    (or a bug of ours) can rewrite who did what."""
    await store.audit(AuditEntry("officer:7", "approve", "K7M4-PX9N"))
    db = store._db  # what an operator with a SQL prompt has
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE audit_log SET actor = 'officer:8'")
    with pytest.raises(Exception, match="append-only"):
        await db.execute("DELETE FROM audit_log")
    [entry] = await store.audit_log()
    assert (entry.actor, entry.action, entry.ref) == ("officer:7", "approve", "K7M4-PX9N")
    await store.audit(AuditEntry("officer:7", "reject", "K7M4-PX9N"))  # appending still works
    assert len(await store.audit_log()) == 2
