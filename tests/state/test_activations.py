"""Where approved people are in setting up ConsentID, their help visits, the passport kept
with the registration, and what the activation report reads: on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.ports import SlotFull, VersionConflict
from flows.engine.records import ActivationProgress, AuditEntry, HelpVisit, Transition, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import START, Clock, registration

SLOT = START + timedelta(days=1, hours=1)


async def approved(store: SqlStore, ref: str) -> None:
    reg = registration(ref, status=RegistrationStatus.APPROVED)
    await store.apply(Unit(new_registration=reg))


async def test_progress_is_kept_over_the_version_read(store: SqlStore, clock: Clock) -> None:
    await approved(store, "A-1")
    await store.apply(Unit(activations=[ActivationProgress("A-1", 1)]))
    first = await store.activation("A-1")
    assert first is not None and (first.step, first.problem, first.version) == (1, None, 1)
    clock.advance(timedelta(minutes=3))
    stuck = ActivationProgress("A-1", 4, "qr_not_scanning", version=first.version)
    await store.apply(Unit(activations=[stuck]))
    now = await store.activation("A-1")
    assert now is not None and (now.step, now.problem, now.version) == (4, "qr_not_scanning", 2)
    assert now.updated_at == clock.now
    # a turn that read the first version is refused: it runs again on fresh reads
    with pytest.raises(VersionConflict):
        await store.apply(Unit(activations=[ActivationProgress("A-1", 2, version=1)]))
    # and a second "first record" too (another process wrote one meanwhile)
    with pytest.raises(VersionConflict):
        await store.apply(Unit(activations=[ActivationProgress("A-1", 1)]))
    assert await store.activations(["A-1", "nobody"]) == {"A-1": now}


async def test_only_a_registration_with_an_account_gets_progress(store: SqlStore) -> None:
    await store.apply(Unit(new_registration=registration("S-1")))  # submitted only
    with pytest.raises(VersionConflict):
        await store.apply(Unit(activations=[ActivationProgress("S-1", 1)]))
    assert await store.activation("S-1") is None


async def test_the_first_login_moves_approved_to_active_once(store: SqlStore) -> None:
    await approved(store, "A-2")
    two = [
        store.apply(Unit(transitions=[Transition("A-2", RegistrationStatus.ACTIVE)]))
        for _ in range(2)
    ]
    results = await asyncio.gather(*two, return_exceptions=True)
    assert sum(r is None for r in results) == 1  # the other is an IllegalTransition
    reg = await store.get_registration("A-2")
    assert reg is not None and reg.status is RegistrationStatus.ACTIVE


async def test_help_visits_share_the_hall_slots_with_registrations(store: SqlStore) -> None:
    await approved(store, "A-3")
    await approved(store, "A-4")
    await store.apply(Unit(new_registration=registration("S-3", visit_at=SLOT), capacity=2))
    await store.apply(Unit(help_visits=[HelpVisit("A-3", "kg", SLOT, capacity=2)]))
    assert await store.help_visit("A-3") == SLOT
    usage = await store.slot_usage("kg", SLOT - timedelta(hours=1), SLOT + timedelta(hours=1))
    assert usage == {SLOT: 2}
    with pytest.raises(SlotFull):  # the slot holds two: a registration and a help visit
        await store.apply(Unit(help_visits=[HelpVisit("A-4", "kg", SLOT, capacity=2)]))
    with pytest.raises(SlotFull):  # nor may a new registration take a third place
        await store.apply(Unit(new_registration=registration("S-4", visit_at=SLOT), capacity=2))
    later = SLOT + timedelta(minutes=20)
    await store.apply(Unit(help_visits=[HelpVisit("A-3", "kg", later, capacity=2)]))
    assert await store.help_visit("A-3") == later  # a new booking moves the old one
    await store.apply(Unit(help_visits=[HelpVisit("A-4", "kg", SLOT, capacity=2)]))


async def test_a_passport_is_kept_as_the_registration_document(store: SqlStore) -> None:
    reg = registration("P-1")
    reg.document, reg.id_number = "passport", "001234567"
    await store.apply(Unit(new_registration=reg))
    kept = await store.get_registration("P-1")
    assert kept is not None and (kept.document, kept.id_number) == ("passport", "001234567")
    await store.apply(Unit(new_registration=registration("C-1")))
    card = await store.get_registration("C-1")
    assert card is not None and card.document == "id_card"


async def test_the_report_reads_approvals_first_logins_and_problems_of_one_hall(
    store: SqlStore, clock: Clock
) -> None:
    await approved(store, "K-1")
    other = registration("N-1", status=RegistrationStatus.APPROVED, hall="ns")
    await store.apply(Unit(new_registration=other))
    entries = [
        AuditEntry("officer:1", "approve", "K-1"),
        AuditEntry("citizen", "activation_problem", "K-1", "activate:qr_not_scanning"),
        AuditEntry("citizen", "activate", "K-1"),
        AuditEntry("officer:1", "approve", "N-1"),
        AuditEntry("officer:1", "claim", "K-1"),  # not part of the report
    ]
    await store.apply(Unit(audit=entries))
    events = await store.activation_events("kg", START, START + timedelta(days=1))
    assert [(e.action, e.ref, e.detail) for e in events] == [
        ("approve", "K-1", None),
        ("activation_problem", "K-1", "activate:qr_not_scanning"),
        ("activate", "K-1", None),
    ]
    assert await store.activation_events("kg", START + timedelta(days=1), START) == []


async def test_two_processes_recording_progress_at_once_never_lose_a_step(
    backend: Backend,
) -> None:
    one, two = await backend.open(), await backend.open()
    await approved(one, "A-5")
    await one.apply(Unit(activations=[ActivationProgress("A-5", 1)]))
    read = await one.activation("A-5")
    assert read is not None
    moves = [
        one.apply(Unit(activations=[ActivationProgress("A-5", 2, version=read.version)])),
        two.apply(Unit(activations=[ActivationProgress("A-5", 4, "code_expired", read.version)])),
    ]
    results = await asyncio.gather(*moves, return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, VersionConflict) for r in results) == 1
    after = await two.activation("A-5")
    assert after is not None and after.version == read.version + 1
