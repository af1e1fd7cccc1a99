"""Officers enrol once with an invite, can be revoked; the audit log keeps who did what."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flows.records import AuditEntry, OfficerInvite, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock, chat

HOUR = timedelta(hours=1)


def invite(code_hash: str, clock: Clock, *, valid_for: timedelta = HOUR) -> OfficerInvite:
    return OfficerInvite(code_hash, "Милица Петровић", "kg", clock.now + valid_for)


async def test_an_invite_makes_the_chat_an_officer_once(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock))

    officer = await store.redeem_invite("hash-1", chat("milica"), clock.now)
    assert officer is not None
    assert (officer.name, officer.hall, officer.active, officer.counter) == (
        "Милица Петровић",
        "kg",
        True,
        None,
    )
    assert (officer.channel, officer.user_key) == ("telegram", "milica")
    assert await store.officer_for(chat("milica")) == officer
    assert await store.officer(officer.id) == officer
    assert await store.redeem_invite("hash-1", chat("someone-else"), clock.now) is None


async def test_an_unknown_or_expired_invite_enrols_nobody(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock, valid_for=HOUR))
    assert await store.redeem_invite("wrong", chat("x"), clock.now) is None
    assert await store.redeem_invite("hash-1", chat("x"), clock.now + 2 * HOUR) is None
    assert await store.officer_for(chat("x")) is None
    assert await store.officers() == []


async def test_one_invite_redeemed_twice_at_once_enrols_one_chat(
    backend: Backend, clock: Clock
) -> None:
    first, second = await backend.open(), await backend.open()
    await first.add_invite(invite("hash-1", clock))
    results = await asyncio.gather(
        first.redeem_invite("hash-1", chat("a"), clock.now),
        second.redeem_invite("hash-1", chat("b"), clock.now),
    )
    assert sum(r is not None for r in results) == 1
    assert len(await first.officers()) == 1


async def test_a_revoked_officer_is_an_ordinary_chat_again(store: SqlStore, clock: Clock) -> None:
    await store.add_invite(invite("hash-1", clock))
    officer = await store.redeem_invite("hash-1", chat("milica"), clock.now)
    assert officer is not None
    await store.set_counter(officer.id, "3")
    at_counter = await store.officer_for(chat("milica"))
    assert at_counter is not None and at_counter.counter == "3"

    assert await store.revoke_officer(officer.id)
    assert not await store.revoke_officer(officer.id)
    assert await store.officer_for(chat("milica")) is None
    [listed] = await store.officers("kg")
    assert (listed.id, listed.active, listed.counter) == (officer.id, False, None)
    assert await store.officers("bg") == []

    # A new invite brings the same person back, under the same officer id.
    await store.add_invite(invite("hash-2", clock))
    again = await store.redeem_invite("hash-2", chat("milica"), clock.now)
    assert again is not None and (again.id, again.active) == (officer.id, True)


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
