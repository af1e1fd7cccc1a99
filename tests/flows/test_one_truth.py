"""Every write of a message is in its unit: races between kiosks and between officers,
on SQLite and PostgreSQL, with two apps on one database standing for two processes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
import pytest

from ecitizen.app import App
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.refcode import new_ref
from flows.engine.records import Registration, TicketStatus, Unit
from tests.conftest import START
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.state.conftest import Backend, backend  # noqa: F401 (the fixture)

REFS = 30
ACTIONS = {"served": "Услужен", "no_show": "Није дошао", "recall": "Позови поново"}


@pytest.fixture
async def apps(backend: Backend, make_app: Callable[..., Any]) -> AsyncIterator[list[App]]:  # noqa: F811
    """Two apps on one database: two server processes, as far as the data can tell."""
    opened = [await make_app(data={"database": backend.url}) for _ in range(2)]
    yield opened
    for app in opened:
        await app.close()


def kiosk(app: App, session: str) -> Chat:
    return Chat(app, f"kg:{session}", "kiosk")


async def walk_in_registrations(app: App, count: int) -> list[str]:
    refs = []
    for n in range(count):
        ref = new_ref()
        reg = Registration(
            ref=ref,
            status=RegistrationStatus.SUBMITTED,
            hall="kg",
            language="sr-Cyrl",
            first_name="Ана",
            last_name=f"Тест{n}",
            jmbg="0512981717776",
            id_number="012345678",
            phone="+381641234567",
            email=None,
            visit_at=None,
            created_at=START,
            updated_at=START,
        )
        await app.store.apply(Unit(new_registration=reg))
        refs.append(ref)
    return refs


async def checks_in(kiosk: Chat, ref: str) -> str:
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    return await kiosk.says(ref)


async def test_two_kiosks_checking_in_the_same_30_people_at_once_make_30_tickets_with_a_slip_each(
    apps: list[App],
) -> None:
    refs = await walk_in_registrations(apps[0], REFS)
    kiosks = [kiosk(app, f"k{n}-{i}") for i, app in enumerate(apps) for n in range(REFS)]
    replies = await asyncio.gather(*(checks_in(k, refs[n % REFS]) for n, k in enumerate(kiosks)))

    confirmed = [r for r in replies if "је потврђена" in r]
    assert len(confirmed) == REFS  # each person once; the other kiosk is told it is done
    assert sum("не чека долазак" in r for r in replies) == REFS
    day = apps[0].halls["kg"].local_day(apps[0].env.clock())
    tickets = await apps[1].store.tickets("kg", day)
    assert sorted(t.number for t in tickets) == list(range(1, REFS + 1))
    assert sorted(t.ref or "" for t in tickets) == sorted(refs)
    slips = [j for j in await apps[0].store.print_jobs() if j.slip == "ticket"]
    assert sorted(j.payload["ticket"] for j in slips) == sorted(t.label for t in tickets)
    shown = sorted(k.last.ticket or "" for k in kiosks if k.last.ticket)
    assert shown == sorted(t.label for t in tickets)


async def two_officers_on_one_ticket(apps: list[App]) -> tuple[Chat, Chat, int]:
    """Mira called A001 at counter 1; Zoran's screen (another process) shows it too: a
    colleague's phone left on that ticket's screen."""
    await walk_in_registrations(apps[0], 1)
    await checks_in(kiosk(apps[0], "k1"), (await _refs(apps[0]))[0])
    mira = await enrolled(apps[0], lambda name: Chat(apps[0], name), "Мира", counter="1")
    zoran = await enrolled(apps[1], lambda name: Chat(apps[1], name), "Зоран", counter="2")
    assert "Позван је број A001 на шалтер 1" in await mira.picks("Позови следећи број")
    held = await apps[0].store.load_conversation(mira.key)
    assert held is not None
    theirs = await apps[1].store.load_conversation(zoran.key)
    assert theirs is not None
    theirs.state = "ticket"
    theirs.slots.update(
        ticket_id=held.slots["ticket_id"], ticket_version=held.slots["ticket_version"]
    )
    await apps[1].store.apply(Unit(conversation=theirs))
    assert "A001" in await zoran.says("/help")  # his screen shows the ticket and its buttons
    return mira, zoran, int(held.slots["ticket_id"])


async def _refs(app: App) -> list[str]:
    return [r.ref for r in await app.store.registrations_at("kg", [RegistrationStatus.SUBMITTED])]


@pytest.mark.parametrize(
    ("first", "second"), list(itertools.combinations([*ACTIONS, "transfer"], 2))
)
async def test_two_officers_acting_on_one_ticket_at_once_one_change_stands_the_other_is_told(
    apps: list[App], first: str, second: str
) -> None:
    mira, zoran, ticket_id = await two_officers_on_one_ticket(apps)

    async def act(officer: Chat, action: str) -> str:
        if action == "transfer":  # to the other one's counter
            await officer.picks("Пребаци на други шалтер")
            return await officer.picks("Шалтер")
        return await officer.picks(ACTIONS[action])

    replies = await asyncio.gather(act(mira, first), act(zoran, second))
    told = [r for r in replies if "у међувремену" in r or "већ" in r]
    assert len(told) == 1, replies
    ticket = await apps[0].store.get_ticket(ticket_id)
    assert ticket is not None
    mira_won = told[0] is replies[1]
    winner = first if mira_won else second
    expected = {
        "served": (TicketStatus.SERVED, "1"),
        "no_show": (TicketStatus.NO_SHOW, "1"),
        "recall": (TicketStatus.CALLED, "1"),
        "transfer": (TicketStatus.CALLED, "2" if mira_won else "1"),
    }
    assert (ticket.status, ticket.counter) == expected[winner]
    log = [e.action for e in await apps[0].store.audit_log()]
    assert log.count("call") == 1


@contextlib.asynccontextmanager
async def rival_transaction(backend: Backend) -> AsyncIterator[Callable[[str], Any]]:  # noqa: F811
    """Another process's transaction, holding the database's write lock until it ends."""
    if backend.name == "postgres":
        conn = await asyncpg.connect(backend.url)
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE registrations IN EXCLUSIVE MODE")
        try:
            yield conn.execute
            await tx.commit()
        finally:
            await conn.close()
        return
    lite = await aiosqlite.connect(backend.url.removeprefix("sqlite:///"), isolation_level=None)
    await lite.execute("BEGIN IMMEDIATE")
    try:
        yield lite.execute
        await lite.execute("COMMIT")
    finally:
        await lite.close()


async def test_an_approval_refused_in_a_race_leaves_no_account_and_no_slip_behind(
    apps: list[App],
    backend: Backend,  # noqa: F811
) -> None:
    refs = await walk_in_registrations(apps[0], 1)
    mira = await enrolled(apps[0], lambda name: Chat(apps[0], name), "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(refs[0])
    await mira.picks("Одобри")
    async with rival_transaction(backend) as execute:
        # Mira confirms the ID card while a supervisor's process rejects the registration
        approving = asyncio.create_task(mira.picks("Да"))
        await asyncio.sleep(0.3)  # her turn reads, then waits for the lock
        await execute(f"UPDATE registrations SET status = 'rejected' WHERE ref = '{refs[0]}'")
    reply = await approving
    assert "одобрен" not in reply.lower() and refs[0] in reply
    assert await apps[1].store.account_of(refs[0]) is None
    assert [j for j in await apps[1].store.print_jobs() if j.slip == "credentials"] == []
    reg = await apps[1].store.get_registration(refs[0])
    assert reg is not None and reg.status == RegistrationStatus.REJECTED


async def test_a_turn_sees_the_store_read_only_and_a_write_fails_at_once(app: App) -> None:
    from flows.engine.readonly import READS, TurnWrote

    reads = app.env.store
    assert await reads.get_registration("NONE-NONE") is None
    for write in ("apply", "add_invite", "revoke_officer", "requeue", "purge", "audit"):
        assert write not in READS
        with pytest.raises(TurnWrote):
            getattr(reads, write)


async def test_an_enrollment_run_again_after_a_conflict_enrolls_and_says_so(
    app: App, chat: Callable[..., Chat]
) -> None:
    """The invite is redeemed in the unit: a retried turn finds it still there."""
    from tests.flows.test_officer_dialogue import invite

    for n in range(5):
        officer = chat(f"officer{n}")
        await officer.says("/start")
        await officer.picks("ћирилица")
        code = await invite(app, f"Мира{n}")
        # another message of the same chat at the same moment: one of the two runs again
        _, enrolled_reply = await asyncio.gather(
            officer.says("/help"), officer.says(f"/officer {code}")
        )
        assert f"Добро дошли, Мира{n}" in enrolled_reply
        assert await app.store.officer_for(officer.key) is not None
