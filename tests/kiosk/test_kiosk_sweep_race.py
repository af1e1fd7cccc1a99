"""A kiosk tap whose turn outlives the idle limit while the server's sweep runs (issue 8).

Under load a request was slower than idle + warning + grace: the sweep (from the database,
whichever process holds it) wiped the session while the turn committed a ticket, and the
ticket belonged to nobody. Now one of two things happens, never a mix: the sweep wins and
nothing of the turn is written (the person is told, in their language, that the session
ended), or the turn wins and its commit keeps the session from the sweep.

The turn is held at gates the test opens, just before and just after its unit commits (the
real store behind it): the clock passes the idle limit while the turn is held before its
commit, and the sweep runs either there or after the commit; no timing is involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from flows.engine.messages import ConversationKey, Outbound
from flows.engine.ports import UnitStore
from flows.engine.records import Conversation, Unit
from kiosk.settings import KioskSettings
from tests.conftest import Clock
from tests.kiosk.hall_server import HallServer, start_hall_server
from tests.kiosk.kiosk_client import KioskClient
from tests.postgres import fresh_schema

BOT = {"telegram": {"bot_username": "ecitizen_test_bot"}}


@dataclass
class Gate:
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold(self) -> None:
        self.reached.set()
        await self.opened.wait()


class GatedUnits:
    """The real store as the engine's UnitStore, with the unit of the next kiosk message
    held at two gates the test opens: before it commits and after."""

    def __init__(self, store: UnitStore) -> None:
        self._store = store
        self.before, self.after = Gate(), Gate()
        self.armed = False

    async def load_conversation(self, key: ConversationKey) -> Conversation | None:
        return await self._store.load_conversation(key)

    async def recorded_reply(self, channel: str, message_id: str) -> list[Outbound] | None:
        return await self._store.recorded_reply(channel, message_id)

    async def apply(self, unit: Unit) -> None:
        held = self.armed and unit.inbound_id is not None and unit.inbound_id[0] == "kiosk"
        self.armed = self.armed and not held
        if held:
            await self.before.hold()
        await self._store.apply(unit)
        if held:
            await self.after.hold()


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[dict[str, Any]]:
    if kind == "sqlite":
        yield {}
    else:
        async with fresh_schema() as (url, _):
            yield {"data": {"database": url}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def hall(
    request: pytest.FixtureRequest, make_app: Callable[..., Any]
) -> AsyncIterator[HallServer]:
    async with database(request.param) as settings:
        server = await start_hall_server(await make_app(**BOT, **settings), KioskSettings())
        yield server
        await server.close()


@pytest.mark.parametrize("sweep", ["before the turn commits", "after the turn commits"])
async def test_a_slow_tap_and_the_sweep_never_leave_a_ticket_without_its_person(
    hall: HallServer, clock: Clock, sweep: str
) -> None:
    gated = GatedUnits(hall.app.engine.units)
    hall.app.engine.units = gated
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="en")
        await kiosk.choose("menu.ticket")
        token = next(c.value for c in http.cookie_jar if c.key == "kiosk_session")
        gated.armed = True
        tap = asyncio.create_task(kiosk.post({"seq": kiosk.seq + 1, "choice": "A"}))
        await asyncio.wait_for(gated.before.reached.wait(), 30)
        clock.advance(seconds=hall.kiosk.settings.quiet.total_seconds() + 1)  # a slow turn
        if sweep == "after the turn commits":
            gated.before.opened.set()
            await asyncio.wait_for(gated.after.reached.wait(), 30)
        wiped = await hall.kiosk.sweep()
        gated.before.opened.set()
        gated.after.opened.set()
        status, body = await asyncio.wait_for(tap, 30)

    day = hall.app.halls["kg"].local_day(clock.now)
    tickets = await hall.app.store.tickets("kg", day)
    session = await hall.app.store.kiosk_session(token)
    kept = await hall.app.store.load_conversation(ConversationKey("kiosk", f"kg:{token}"))
    if tickets:  # the turn won: the person holds the ticket, the session goes on
        assert wiped == 0 and status == 200, (wiped, status, body["screen"]["name"])
        assert [t.label for t in tickets] == [body["screen"]["ticket"]]
        assert session is not None and session.seq == kiosk.seq + 1 and kept is not None
    else:  # the sweep won: nothing of the turn, and the person is told, calmly, in English
        assert wiped == 1 and status == 409 and session is None and kept is None
        assert body["screen"]["name"] == "kiosk.language"
        assert body["screen"]["notice"] == (
            "The previous session ended after a period of inactivity. Please start again."
        )
    # when the sweep came decides who wins
    assert bool(tickets) is (sweep == "after the turn commits")


async def test_a_tap_retried_at_another_process_is_answered_with_the_first_answer_once(
    hall: HallServer, clock: Clock
) -> None:
    """Each process remembers where it left a session and takes its next message without
    reading it: when another process took that message meanwhile (a retry after a lost
    answer, sent through another server), the unit is refused and the first answer given."""
    other = await start_hall_server(hall.app, KioskSettings())  # a second server process
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            here = KioskClient(http, f"{hall.url}/kiosk/kg")
            there = KioskClient(http, f"{other.url}/kiosk/kg")  # the same cookie
            await here.state()
            await here.send(command="language", payload="en")
            await here.choose("menu.ticket")
            tap = {"seq": here.seq + 1, "choice": "A"}
            status, first = await there.post(tap)  # its answer is lost on the way
            assert status == 200 and first["screen"]["ticket"]
            status, again = await here.post(tap)  # the retry reaches the first process
            assert status == 200 and again["screen"] == first["screen"]
            status, stale = await here.post({**tap, "choice": "B"})  # not a repeat
            assert status == 409 and stale["screen"] == first["screen"]
        day = hall.app.halls["kg"].local_day(clock.now)
        assert [t.label for t in await hall.app.store.tickets("kg", day)] == [
            first["screen"]["ticket"]
        ]
    finally:
        await other.runner.cleanup()
