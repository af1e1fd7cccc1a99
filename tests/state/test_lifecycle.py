"""Registrations move only as the lifecycle allows, and two officers never decide one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from flows.domain import lifecycle
from flows.engine.ports import IllegalTransition, SlotFull
from flows.engine.records import RegistrationStatus, Transition, Unit, VisitChange
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import START, Clock, chat, registration

HOLDER, OTHER = 7, 8
SLOT = START + timedelta(days=1, hours=1)


async def test_every_move_is_allowed_exactly_when_the_lifecycle_allows_it(
    store: SqlStore,
) -> None:
    """All 7 x 7 moves, by the officer holding the registration and by another one."""
    wrong: list[str] = []
    for source in RegistrationStatus:
        for target in RegistrationStatus:
            for officer in (HOLDER, OTHER):
                ref = f"{source.value}-{target.value}-{officer}"
                holder = HOLDER if source is RegistrationStatus.IN_REVIEW else None
                await store.apply(
                    Unit(new_registration=registration(ref, status=source, officer_id=holder))
                )
                move = Transition(ref, target, officer_id=officer, reason="x", username="u")
                legal = lifecycle.is_legal(source.value, target.value) and (
                    source is not RegistrationStatus.IN_REVIEW or officer == HOLDER
                )
                try:
                    await store.apply(Unit(transitions=[move]))
                    applied = True
                except IllegalTransition as refused:
                    applied = False
                    assert refused.current is not None and refused.current.status is source
                after = await store.get_registration(ref)
                assert after is not None
                if applied != legal or after.status is not (target if legal else source):
                    wrong.append(f"{source.value} -> {target.value} by officer {officer}")
    assert wrong == []


async def test_a_move_records_who_claimed_and_why(store: SqlStore, clock: Clock) -> None:
    await store.apply(Unit(new_registration=registration("R-1")))
    clock.advance(timedelta(minutes=5))
    await store.apply(Unit(transitions=[Transition("R-1", RegistrationStatus.CHECKED_IN)]))
    await store.apply(
        Unit(transitions=[Transition("R-1", RegistrationStatus.IN_REVIEW, officer_id=HOLDER)])
    )
    claimed = await store.get_registration("R-1")
    assert claimed is not None
    assert (claimed.officer_id, claimed.updated_at) == (HOLDER, clock.now)

    await store.apply(
        Unit(transitions=[Transition("R-1", RegistrationStatus.CHECKED_IN, officer_id=HOLDER)])
    )
    released = await store.get_registration("R-1")
    assert released is not None and released.officer_id is None  # anyone may claim it now

    await store.apply(
        Unit(transitions=[Transition("R-1", RegistrationStatus.IN_REVIEW, officer_id=OTHER)])
    )
    await store.apply(
        Unit(
            transitions=[
                Transition(
                    "R-1", RegistrationStatus.REJECTED, officer_id=OTHER, reason="id_expired"
                )
            ]
        )
    )
    rejected = await store.get_registration("R-1")
    assert rejected is not None
    assert (rejected.status, rejected.officer_id, rejected.reason) == (
        RegistrationStatus.REJECTED,
        OTHER,
        "id_expired",
    )


async def test_approval_keeps_the_portal_username(store: SqlStore) -> None:
    await store.apply(
        Unit(
            new_registration=registration(
                "R-1", status=RegistrationStatus.IN_REVIEW, officer_id=HOLDER
            )
        )
    )
    await store.apply(
        Unit(
            transitions=[
                Transition("R-1", RegistrationStatus.APPROVED, officer_id=HOLDER, username="ana")
            ]
        )
    )
    approved = await store.get_registration("R-1")
    assert approved is not None and approved.username == "ana"
    assert await store.username_taken("ana")


async def test_a_claim_without_an_officer_is_refused(store: SqlStore) -> None:
    await store.apply(Unit(new_registration=registration("R-1")))
    with pytest.raises(IllegalTransition):
        await store.apply(Unit(transitions=[Transition("R-1", RegistrationStatus.IN_REVIEW)]))


async def test_a_move_of_an_unknown_registration_is_refused(store: SqlStore) -> None:
    with pytest.raises(IllegalTransition) as refused:
        await store.apply(Unit(transitions=[Transition("R-404", RegistrationStatus.CANCELLED)]))
    assert refused.value.current is None


async def test_two_officers_claiming_at_once_exactly_one_gets_it(backend: Backend) -> None:
    first, second = await backend.open(), await backend.open()
    await first.apply(
        Unit(new_registration=registration("R-1", status=RegistrationStatus.CHECKED_IN))
    )

    def claim(officer: int) -> Unit:
        return Unit(
            transitions=[Transition("R-1", RegistrationStatus.IN_REVIEW, officer_id=officer)]
        )

    results = await asyncio.gather(
        first.apply(claim(HOLDER)), second.apply(claim(OTHER)), return_exceptions=True
    )

    refused = [r for r in results if isinstance(r, IllegalTransition)]
    assert len(refused) == 1 and results.count(None) == 1
    winner = HOLDER if results[0] is None else OTHER
    current = refused[0].current
    assert current is not None
    assert (current.status, current.officer_id) == (RegistrationStatus.IN_REVIEW, winner)


async def test_a_slot_takes_no_more_visits_than_its_capacity(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    bookings = [
        stores[n % 2].apply(
            Unit(new_registration=registration(f"R-{n}", visit_at=SLOT), capacity=2)
        )
        for n in range(10)
    ]
    results = await asyncio.gather(*bookings, return_exceptions=True)

    assert results.count(None) == 2
    assert all(isinstance(r, SlotFull) for r in results if r is not None)
    usage = await stores[0].slot_usage("kg", SLOT - timedelta(hours=1), SLOT + timedelta(hours=1))
    assert usage == {SLOT: 2}


async def test_a_cancelled_visit_frees_its_place(store: SqlStore) -> None:
    await store.apply(Unit(new_registration=registration("R-1", visit_at=SLOT), capacity=1))
    with pytest.raises(SlotFull):
        await store.apply(Unit(new_registration=registration("R-2", visit_at=SLOT), capacity=1))
    await store.apply(Unit(transitions=[Transition("R-1", RegistrationStatus.CANCELLED)]))

    await store.apply(Unit(new_registration=registration("R-2", visit_at=SLOT), capacity=1))
    assert await store.slot_usage("kg", SLOT, SLOT + timedelta(minutes=20)) == {SLOT: 1}


async def test_other_halls_do_not_use_up_a_slot(store: SqlStore) -> None:
    await store.apply(Unit(new_registration=registration("R-1", visit_at=SLOT), capacity=1))
    await store.apply(
        Unit(new_registration=registration("R-2", hall="bg", visit_at=SLOT), capacity=1)
    )
    assert await store.slot_usage("bg", SLOT, SLOT + timedelta(minutes=1)) == {SLOT: 1}


async def test_moving_a_visit_checks_the_new_slot(store: SqlStore) -> None:
    later = SLOT + timedelta(minutes=20)
    await store.apply(Unit(new_registration=registration("R-1", visit_at=SLOT), capacity=1))
    await store.apply(Unit(new_registration=registration("R-2", visit_at=later), capacity=1))

    with pytest.raises(SlotFull):
        await store.apply(Unit(visit_changes=[VisitChange("R-1", later, capacity=1)]))
    await store.apply(Unit(visit_changes=[VisitChange("R-1", SLOT, capacity=1)]))  # its own
    await store.apply(Unit(visit_changes=[VisitChange("R-2", None, capacity=1)]))
    await store.apply(Unit(visit_changes=[VisitChange("R-1", later, capacity=1)]))

    moved = await store.get_registration("R-1")
    assert moved is not None and moved.visit_at == later
    usage = await store.slot_usage("kg", SLOT, later + timedelta(minutes=20))
    assert usage == {later: 1}


async def test_a_decided_registration_cannot_book_a_visit(store: SqlStore) -> None:
    await store.apply(
        Unit(new_registration=registration("R-1", status=RegistrationStatus.CANCELLED))
    )
    with pytest.raises(IllegalTransition):
        await store.apply(Unit(visit_changes=[VisitChange("R-1", SLOT, capacity=5)]))


async def test_registrations_are_found_by_hall_status_and_chat(store: SqlStore) -> None:
    await store.apply(
        Unit(new_registration=registration("R-1"), links=[("R-1", chat("1")), ("R-1", chat("1"))])
    )
    await store.apply(
        Unit(
            new_registration=registration(
                "R-2", status=RegistrationStatus.CHECKED_IN, created_at=START + timedelta(1)
            ),
            links=[("R-2", chat("1")), ("R-2", chat("k", "kiosk"))],
        )
    )
    await store.apply(Unit(new_registration=registration("R-3", hall="bg")))

    waiting = await store.registrations_at(
        "kg", [RegistrationStatus.SUBMITTED, RegistrationStatus.CHECKED_IN]
    )
    assert [r.ref for r in waiting] == ["R-1", "R-2"]
    assert [r.ref for r in await store.registrations_linked_to(chat("1"))] == ["R-1", "R-2"]
    assert await store.links_of("R-2") == [chat("k", "kiosk"), chat("1")]
    assert await store.registrations_at("kg", []) == []
