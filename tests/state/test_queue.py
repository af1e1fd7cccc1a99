"""Queue tickets: numbered by the store as the unit commits, fresh each day and service,
and changed only as they were read."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

import pytest

from flows.engine.messages import Msg, Outbound
from flows.engine.ports import TicketChanged, VersionConflict
from flows.engine.records import (
    Effect,
    NewTicket,
    Ticket,
    TicketChange,
    TicketStatus,
    Unit,
    ticket_placeholder,
)
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import START, chat

TODAY = date(2025, 3, 10)


async def issue(
    store: SqlStore,
    hall: str = "kg",
    day: date = TODAY,
    service: str = "A",
    priority: int = 1,
    **more: object,
) -> Ticket:
    unit = Unit()
    unit.issue(NewTicket(hall, day, service, priority, START, **more))  # type: ignore[arg-type]
    await store.apply(unit)
    return unit.issued[0]


async def test_numbers_restart_each_day_and_for_each_service(store: SqlStore) -> None:
    issued = [
        await issue(store),
        await issue(store),
        await issue(store, service="B"),
        await issue(store, hall="bg"),
        await issue(store, day=TODAY + timedelta(1)),
    ]
    assert [t.label for t in issued] == ["A001", "A002", "B001", "A001", "A001"]
    assert all(t.status is TicketStatus.WAITING for t in issued)


async def test_tickets_issued_at_once_by_two_processes_never_share_or_skip_a_number(
    backend: Backend,
) -> None:
    stores = [await backend.open(), await backend.open()]
    tickets = await asyncio.gather(*(issue(stores[n % 2]) for n in range(20)))
    assert sorted(t.number for t in tickets) == list(range(1, 21))


async def test_a_refused_unit_issues_no_ticket_and_uses_no_number(store: SqlStore) -> None:
    unit = Unit(inbound_id=("telegram", "1"))
    await store.apply(unit)
    again = Unit(inbound_id=("telegram", "1"))  # a redelivery: refused as a whole
    again.issue(NewTicket("kg", TODAY, "A", 1, START))
    with pytest.raises(Exception, match="telegram"):
        await store.apply(again)
    assert await store.tickets("kg", TODAY) == []
    assert (await issue(store)).label == "A001"


async def test_the_label_takes_the_placeholders_place_in_all_the_unit_writes(
    store: SqlStore,
) -> None:
    await issue(store)
    unit = Unit(inbound_id=("kiosk", "7"))
    label = unit.issue(NewTicket("kg", TODAY, "A", 1, START))
    assert label == ticket_placeholder(0)
    unit.print_jobs.append((f"ticket:{label}", "file", "ticket", {"ticket": label}))
    unit.effects.append(Effect("notify", f"checkin:{label}", {"text": f"ticket {label}"}))
    unit.reply = [Outbound(chat("5", "kiosk"), "en", (Msg.of("ticket.issued", ticket=label),))]
    await store.apply(unit)

    assert unit.issued[0].label == "A002"
    (job,) = await store.print_jobs("file")
    assert (job.key, job.payload) == ("ticket:A002", {"ticket": "A002"})
    (effect,) = await store.claim_effects(START, 10, 30)
    assert (effect.effect.key, effect.effect.payload) == ("checkin:A002", {"text": "ticket A002"})
    (reply,) = await store.recorded_reply("kiosk", "7") or []
    assert reply.text == (Msg.of("ticket.issued", ticket="A002"),)


async def test_two_officers_calling_one_ticket_at_once_one_wins_the_other_runs_again(
    backend: Backend,
) -> None:
    stores = [await backend.open(), await backend.open()]
    ticket = await issue(stores[0])
    calls = [
        Unit(ticket_changes=[TicketChange(_called(ticket, str(n), n), rerun=True)]) for n in (1, 2)
    ]
    results = await asyncio.gather(
        *(store.apply(unit) for store, unit in zip(stores, calls, strict=True)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "VersionConflict"]
    now = await stores[0].get_ticket(ticket.id)
    assert now is not None and now.status is TicketStatus.CALLED and now.version == 1


async def test_a_change_of_a_ticket_someone_changed_meanwhile_is_refused_with_how_it_is(
    store: SqlStore,
) -> None:
    ticket = await issue(store, ref="R-1", notify=chat("1"))
    called = _called(ticket, "1", 7)
    await store.apply(Unit(ticket_changes=[TicketChange(called)]))
    seen = await store.get_ticket(ticket.id)
    assert seen is not None and seen.version == 1
    # officer 7 marks it served; a colleague, from the same screen, transfers it
    served = replace(seen, status=TicketStatus.SERVED, finished_at=START + timedelta(minutes=9))
    await store.apply(Unit(ticket_changes=[TicketChange(served)]))
    moved = replace(seen, counter="3", officer_id=None)
    with pytest.raises(TicketChanged) as refused:
        await store.apply(Unit(ticket_changes=[TicketChange(moved)]))
    current = refused.value.current
    assert current is not None
    assert (current.status, current.counter, current.version) == (TicketStatus.SERVED, "1", 2)
    assert (current.ref, current.notify) == ("R-1", chat("1"))
    with pytest.raises(VersionConflict):
        await store.apply(Unit(ticket_changes=[TicketChange(moved, rerun=True)]))


async def test_a_ticket_is_found_by_its_printed_label(store: SqlStore) -> None:
    for _ in range(7):
        ticket = await issue(store)
    assert await store.find_ticket("kg", TODAY, "A007") == ticket
    assert await store.find_ticket("kg", TODAY, "a7") == ticket
    assert await store.find_ticket("kg", TODAY, "A008") is None
    assert await store.find_ticket("kg", TODAY, "nonsense!") is None
    assert await store.find_ticket("kg", TODAY + timedelta(1), "A007") is None
    assert await store.get_ticket(ticket.id) == ticket
    assert await store.get_ticket(10_000) is None
    assert [t.number for t in await store.tickets("kg", TODAY)] == list(range(1, 8))
    assert await store.tickets("kg", TODAY + timedelta(1)) == []


def _called(ticket: Ticket, counter: str, officer: int) -> Ticket:
    return replace(
        ticket,
        status=TicketStatus.CALLED,
        counter=counter,
        officer_id=officer,
        called_at=START + timedelta(minutes=1),
    )


def test_placeholders_cannot_be_typed() -> None:
    from flows.domain.textinput import clean_input

    assert not isinstance(clean_input(f"Ana {ticket_placeholder(0)}", 100), str)
