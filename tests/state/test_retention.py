"""Expiry of forgotten registrations and the purge of personal data after retention."""

from __future__ import annotations

from datetime import timedelta

from flows.records import (
    AuditEntry,
    Conversation,
    Effect,
    RegistrationStatus,
    Transition,
    Unit,
)
from state import SqlStore
from tests.state.store_support import START, Clock, chat, registration

DAY = timedelta(days=1)


async def test_missed_visits_and_stale_registrations_expire(store: SqlStore) -> None:
    now = START + 40 * DAY
    cases = {
        "visit-two-days-ago": registration("A", visit_at=now - 2 * DAY),
        "visit-this-morning": registration("B", visit_at=now - timedelta(hours=3)),
        "no-visit-31-days": registration("C", created_at=now - 31 * DAY),
        "no-visit-29-days": registration("D", created_at=now - 29 * DAY),
        "checked-in-long-ago": registration(
            "E", status=RegistrationStatus.CHECKED_IN, visit_at=now - 5 * DAY
        ),
    }
    for reg in cases.values():
        await store.apply(Unit(new_registration=reg, capacity=5))

    assert await store.expire_due(now) == ["A", "C"]

    statuses = {ref: (await store.get_registration(ref)) for ref in "ABCDE"}
    assert {ref: r.status.value for ref, r in statuses.items() if r} == {
        "A": "expired",
        "B": "submitted",
        "C": "expired",
        "D": "submitted",
        "E": "checked_in",
    }
    assert [(e.actor, e.action) for e in await store.audit_log("A")] == [("system", "expire")]
    assert await store.expire_due(now) == []  # nothing twice


async def test_purge_erases_personal_data_and_keeps_the_decision(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(
        Unit(
            new_registration=registration("OLD"),
            links=[("OLD", chat("1"))],
            audit=[AuditEntry("citizen", "submit", "OLD")],
        )
    )
    await store.apply(
        Unit(
            transitions=[Transition("OLD", RegistrationStatus.CANCELLED)],
            audit=[AuditEntry("citizen", "cancel", "OLD", detail="by_citizen")],
        )
    )
    await store.apply(Unit(new_registration=registration("ACTIVE"), links=[("ACTIVE", chat("2"))]))
    clock.advance(31 * DAY)
    await store.apply(Unit(new_registration=registration("RECENT", created_at=clock.now)))
    await store.apply(Unit(transitions=[Transition("RECENT", RegistrationStatus.CANCELLED)]))

    assert await store.purge(clock.now - 30 * DAY) == 1

    old = await store.get_registration("OLD")
    assert old is not None and old.erased
    assert (old.first_name, old.last_name, old.jmbg, old.id_number, old.phone, old.email) == (
        "",
        "",
        "",
        "",
        "",
        None,
    )
    assert old.status is RegistrationStatus.CANCELLED
    assert await store.links_of("OLD") == []
    assert [e.action for e in await store.audit_log("OLD")] == ["cancel", "submit"]
    active = await store.get_registration("ACTIVE")
    assert active is not None and not active.erased and active.jmbg == "0512981717776"
    assert await store.links_of("ACTIVE") == [chat("2")]
    recent = await store.get_registration("RECENT")
    assert recent is not None and not recent.erased
    assert await store.purge(clock.now - 30 * DAY) == 0


async def test_purge_drops_half_finished_conversations_and_spent_payloads(
    store: SqlStore, clock: Clock
) -> None:
    await store.apply(
        Unit(
            conversation=Conversation(chat("1"), "registration", "ask_jmbg", slots={"n": "Ана"}),
            inbound_id=("telegram", "m1"),
            effects=[Effect("notify", "e1", {"text": "Ана"})],
        )
    )
    [item] = await store.claim_effects(clock.now, 10, 30)
    await store.effect_done(item.id)
    clock.advance(31 * DAY)
    await store.apply(Unit(conversation=Conversation(chat("2"), "registration", "ask_name")))

    await store.purge(clock.now - 30 * DAY)

    assert await store.load_conversation(chat("1")) is None
    assert await store.load_conversation(chat("2")) is not None
    # A redelivery that old is a new message now.
    await store.apply(Unit(inbound_id=("telegram", "m1")))
