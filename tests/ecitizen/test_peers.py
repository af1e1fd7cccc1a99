"""Two server processes on one PostgreSQL database, as behind a load balancer: each is the
real app behind its own aiohttp server on 127.0.0.1, and any request may reach either.
A kiosk goes on where it was whichever one answers; a browser polling one gets every
notice the other delivered, once; a hall display on one follows calls made on the other;
and a kiosk left idle is wiped from the database when a server starts again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from flows.engine.messages import Msg
from flows.engine.notify import InDoubt, notify, outbound_of
from kiosk.sessions import conversation_key
from tests.conftest import START, Clock
from tests.kiosk.chat_client import (
    ChatClient,
    call_next,
    chat_key,
    enroll_officer,
    register_in_chat,
)
from tests.kiosk.fixtures import BOT
from tests.kiosk.hall_server import HallServer, start_hall_server
from tests.kiosk.kiosk_client import KioskClient
from tests.kiosk.test_display import read_event, take_ticket
from tests.postgres import fresh_schema

pytestmark = pytest.mark.postgres

# Neither the long poll's nor the display's own re-reading may bring a change within a
# test: what arrives, arrives through the wake-ups between the processes.
NEVER = 3600.0


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # the servers are on an IP address


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with fresh_schema() as (url, _):
        yield url


@dataclass
class Peers:
    make: Callable[..., Any]
    url: str
    servers: list[HallServer] = field(default_factory=list)

    async def start(self) -> HallServer:
        app = await self.make(data={"database": self.url}, **BOT)
        server = await start_hall_server(
            app, refresh_seconds=NEVER, poll_seconds=30.0, reread_seconds=NEVER
        )
        self.servers.append(server)
        return server

    async def stop(self, server: HallServer) -> None:
        self.servers.remove(server)
        await server.close()


@pytest.fixture
async def peers(make_app: Callable[..., Any], database: str) -> AsyncIterator[Peers]:
    found = Peers(make_app, database)
    yield found
    for server in list(found.servers):
        await found.stop(server)


@pytest.fixture
async def pair(peers: Peers) -> tuple[HallServer, HallServer]:
    """Two servers; every notification and hall change is delivered by the first."""
    first, second = await peers.start(), await peers.start()
    second.app.outbox.stop()
    return first, second


@dataclass
class AlternatingKiosk(KioskClient):
    """A kiosk behind a load balancer: each request goes to the next server in turn."""

    bases: list[str] = field(default_factory=list)
    served: int = 0

    def _next(self) -> None:
        self.base = self.bases[self.served % len(self.bases)]
        self.served += 1

    async def state(self) -> dict[str, Any]:
        self._next()
        return await super().state()

    async def post(self, body: Any, raw: bool = False) -> tuple[int, Any]:
        self._next()
        return await super().post(body, raw)


def kiosk_token(http: aiohttp.ClientSession) -> str:
    return next(c.value for c in http.cookie_jar if c.key == "kiosk_session")


async def test_a_kiosk_answered_by_both_servers_in_turn_goes_on_where_it_was(
    pair: tuple[HallServer, HallServer],
) -> None:
    first, second = pair
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        kiosk = AlternatingKiosk(
            http, "", bases=[f"{first.url}/kiosk/kg", f"{second.url}/kiosk/kg"]
        )
        await kiosk.state()
        done = (await kiosk.register())["screen"]
        assert done["end"] is True and done["reference"] and done["ticket"] == "A001"
        registration = await second.app.store.get_registration(done["reference"])
        assert registration is not None and registration.first_name == "Петар"
        assert kiosk.served > 12  # every step, each server every other time

        # The last tap again, at the other server: the same answer, applied once.
        status, again = await kiosk.post({"seq": kiosk.seq, "choice": "submit"})
        assert status == 200 and again["screen"] == kiosk.last["screen"]
        # A reload at either server shows the same screen.
        assert (await kiosk.state())["screen"] == kiosk.last["screen"]
        assert (await kiosk.state())["screen"] == kiosk.last["screen"]
        tickets = await first.app.store.tickets("kg", first.app.halls["kg"].local_day(START))
        assert [t.label for t in tickets] == ["A001"]


async def test_a_double_tap_reaching_both_servers_at_once_counts_once(
    pair: tuple[HallServer, HallServer],
) -> None:
    first, second = pair
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        one = KioskClient(http, f"{first.url}/kiosk/kg")
        other = KioskClient(http, f"{second.url}/kiosk/kg")
        await one.state()
        await one.send(command="language", payload="en")
        tap = {"seq": one.seq + 1, "choice": "menu.register"}
        answers = await asyncio.gather(one.post(tap), other.post(tap))
        assert [status for status, _ in answers] == [200, 200]
        assert answers[0][1] == answers[1][1]
        assert answers[0][1]["screen"]["name"] == "registration.intro"
        key = conversation_key("kg", kiosk_token(http))
        conversation = await second.app.store.load_conversation(key)
        assert conversation is not None and conversation.state == "intro"
        one.last, one.seq = answers[0][1], int(answers[0][1]["seq"])
        assert (await one.choose("ok"))["screen"]["name"] == "registration.consent"


async def test_notices_delivered_by_one_server_reach_a_browser_polling_the_other_once(
    pair: tuple[HallServer, HallServer],
) -> None:
    first, second = pair
    async with (
        aiohttp.ClientSession(cookie_jar=jar()) as citizen_http,
        aiohttp.ClientSession(cookie_jar=jar()) as officer_http,
    ):
        citizen = ChatClient(citizen_http, second.url)  # the browser talks to the second
        ref = await register_in_chat(citizen)
        async with aiohttp.ClientSession(cookie_jar=jar()) as kiosk_http:
            kiosk = KioskClient(kiosk_http, f"{first.url}/kiosk/kg")
            await kiosk.state()
            await kiosk.send(command="language", payload="en")
            await kiosk.choose("menu.checkin")
            ticket = (await kiosk.send(scan=ref))["screen"]["ticket"]
        officer = ChatClient(officer_http, first.url)
        await enroll_officer(first.app, officer, counter="1")

        after = max(i["id"] for i in citizen.items)
        waiting = asyncio.create_task(citizen.events(after))  # open before anything comes
        await until(lambda: second.chat.deps.mailboxes.waiting() == 1)
        await call_next(officer)  # the first server's outbox delivers the notice
        first_poll = await waiting
        assert first_poll["items"], "the waiting poll was woken by the other server"

        # A burst of notices delivered by the first server while the browser polls the
        # second; one of them delivered twice (a worker that died before marking it done).
        key = await chat_key(first.app, citizen_http)
        delivery = first.chat.deps.delivery
        burst = [
            outbound_of(
                notify(key, "en", [called(f"B{n:03}")], f"burst:{n}", in_doubt=InDoubt.RESEND)
            )
            for n in range(30)
        ]

        async def deliver() -> None:
            for n, outbound in enumerate(burst):
                await delivery.deliver(outbound)
                if n == 10:
                    await delivery.deliver(outbound)

        got = list(first_poll["items"])
        last = first_poll["last"]
        delivering = asyncio.create_task(deliver())
        async with asyncio.timeout(60):
            while len(got) < 31:
                body = await citizen.events(last)
                got += body["items"]
                last = body["last"]
        await delivering
        ids = [item["id"] for item in got]
        assert ids == list(range(after + 1, after + 32))  # each once, in order, none skipped
        texts = [" ".join(item["text"]) for item in got]
        assert ticket in texts[0]
        assert [text.count("B0") for text in texts[1:]] == [1] * 30
        assert [f"B{n:03}" in text for n, text in enumerate(texts[1:])] == [True] * 30
        # Nothing more, nothing twice: what a reload shows.
        async with citizen_http.get(f"{second.url}/chat/api/history") as r:
            history = await r.json()
        assert history["last"] == last and [i["id"] for i in history["items"]][-31:] == ids


async def test_a_display_on_one_server_follows_a_call_made_on_the_other(
    pair: tuple[HallServer, HallServer],
) -> None:
    first, second = pair
    label = await take_ticket(first)
    async with (
        aiohttp.ClientSession() as display_http,
        display_http.get(f"{second.url}/display/kg/events?lang=en") as stream,
        aiohttp.ClientSession(cookie_jar=jar()) as officer_http,
    ):
        assert await read_event(stream.content) == {"retry": "2000"}
        board = await read_event(stream.content)
        assert '"called":[]' in board["data"]
        officer = ChatClient(officer_http, first.url)
        await enroll_officer(first.app, officer, counter="2")
        await call_next(officer)
        called = f'"ticket":"{label}","counter":"2"'
        async with asyncio.timeout(30):
            while called not in board.get("data", ""):
                board = await read_event(stream.content)


async def test_a_kiosk_left_idle_is_wiped_from_the_database_when_a_server_starts(
    peers: Peers, clock: Clock
) -> None:
    before = await peers.start()
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        kiosk = KioskClient(http, f"{before.url}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="sr-Cyrl")
        await kiosk.choose("menu.register")
        await kiosk.choose("ok")
        await kiosk.choose("yes")
        await kiosk.send(text="Драгослава")
        token = kiosk_token(http)
        key = conversation_key("kg", token)
        assert await before.app.store.kiosk_session(token) is not None
        await peers.stop(before)  # the server goes away (its own sweep never ran)

        clock.advance(minutes=5)  # longer than idle + countdown + grace
        after = await peers.start()
        assert await after.app.store.kiosk_session(token) is None
        assert await after.app.store.load_conversation(key) is None
        # The page, still holding its cookie, starts over politely.
        kiosk.base = f"{after.url}/kiosk/kg"
        status, body = await kiosk.post({"seq": kiosk.seq + 1, "text": "Марковић"})
        assert status == 409 and body["screen"]["name"] == "kiosk.language"
        assert body["screen"]["notice"] and "Драгослава" not in str(body)


def called(ticket: str) -> Msg:
    return Msg.of("notify.called", ticket=ticket, counter="1")


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never came true")
