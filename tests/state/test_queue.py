"""Queue tickets: fresh numbers each day and service, and each ticket called once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from flows.records import TicketStatus
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import START, chat

TODAY = date(2025, 3, 10)


async def test_numbers_restart_each_day_and_for_each_service(store: SqlStore) -> None:
    issued = [
        await store.issue_ticket("kg", TODAY, "A", 1, START),
        await store.issue_ticket("kg", TODAY, "A", 1, START),
        await store.issue_ticket("kg", TODAY, "B", 1, START),
        await store.issue_ticket("bg", TODAY, "A", 1, START),
        await store.issue_ticket("kg", TODAY + timedelta(1), "A", 1, START + timedelta(1)),
    ]
    assert [t.label for t in issued] == ["A001", "A002", "B001", "A001", "A001"]
    assert all(t.status is TicketStatus.WAITING for t in issued)


async def test_tickets_issued_at_once_never_share_a_number(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    tickets = await asyncio.gather(
        *(stores[n % 2].issue_ticket("kg", TODAY, "A", 1, START) for n in range(20))
    )
    assert sorted(t.number for t in tickets) == list(range(1, 21))


async def test_appointments_are_called_before_walk_ins(store: SqlStore) -> None:
    walk_in = await store.issue_ticket("kg", TODAY, "A", 1, START)
    appointment = await store.issue_ticket(
        "kg", TODAY, "A", 0, START + timedelta(minutes=5), ref="R-1", notify=chat("1")
    )
    later_walk_in = await store.issue_ticket("kg", TODAY, "B", 1, START + timedelta(minutes=6))

    now = START + timedelta(minutes=10)
    called = [await store.call_next("kg", TODAY, "2", 7, now) for _ in range(4)]

    assert [t.id if t else None for t in called] == [
        appointment.id,
        walk_in.id,
        later_walk_in.id,
        None,
    ]
    first = called[0]
    assert first is not None
    assert (first.status, first.counter, first.officer_id, first.called_at) == (
        TicketStatus.CALLED,
        "2",
        7,
        now,
    )
    assert (first.ref, first.notify) == ("R-1", chat("1"))


async def test_officers_calling_at_once_never_get_the_same_ticket(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    for _ in range(10):
        await stores[0].issue_ticket("kg", TODAY, "A", 1, START)

    called = await asyncio.gather(
        *(
            stores[n % 2].call_next("kg", TODAY, str(n), n, START + timedelta(minutes=1))
            for n in range(12)
        )
    )
    ids = [t.id for t in called if t is not None]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert called.count(None) == 2


async def test_a_ticket_is_found_by_its_printed_label_and_kept_up_to_date(
    store: SqlStore,
) -> None:
    for _ in range(7):
        ticket = await store.issue_ticket("kg", TODAY, "A", 1, START)
    found = await store.find_ticket("kg", TODAY, "A007")
    assert found == ticket
    assert await store.find_ticket("kg", TODAY, "a7") == ticket
    assert await store.find_ticket("kg", TODAY, "A008") is None
    assert await store.find_ticket("kg", TODAY, "nonsense!") is None
    assert await store.find_ticket("kg", TODAY + timedelta(1), "A007") is None

    ticket.status = TicketStatus.SERVED
    ticket.counter = "1"
    ticket.finished_at = START + timedelta(minutes=30)
    ticket.notify = None
    await store.update_ticket(ticket)

    assert await store.get_ticket(ticket.id) == ticket
    assert await store.get_ticket(10_000) is None
    assert [t.number for t in await store.tickets("kg", TODAY)] == list(range(1, 8))
    assert await store.tickets("kg", TODAY + timedelta(1)) == []
