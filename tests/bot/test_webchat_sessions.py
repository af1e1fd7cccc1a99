"""Web chat session ids are the server's to give: a made-up one gets a fresh session, and
an officer's enrollment gives the page a new one, so an id planted or seen before the
enrollment never reaches an officer's screen (session fixation, issue 10)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from http.cookies import SimpleCookie

import aiohttp
import pytest
from yarl import URL

from flows.engine.messages import ConversationKey
from tests.conftest import Clock
from tests.kiosk.chat_client import ChatClient, enroll_officer
from tests.kiosk.fixtures import hall
from tests.kiosk.hall_server import HallServer

__all__ = ["hall"]

COOKIE = "webchat_session"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def session_id(http: aiohttp.ClientSession) -> str:
    [cookie] = [c for c in http.cookie_jar if c.key == COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/chat"
    return cookie.value


def plant(http: aiohttp.ClientSession, hall: HallServer, token: str) -> None:
    """The cookie as a browser would hold it, put there by someone else."""
    planted: SimpleCookie = SimpleCookie()
    planted[COOKIE] = token
    planted[COOKIE]["path"] = "/chat"
    http.cookie_jar.update_cookies(planted, URL(f"{hall.url}/chat"))


async def test_a_made_up_session_id_gets_a_fresh_session(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    made_up = "Attacker-Chose-This-Id-0123456789"
    plant(http, hall, made_up)
    citizen = ChatClient(http, hall.url)
    await citizen.send(command="start")
    await citizen.picks("lang:en")

    given = session_id(http)
    assert given != made_up and len(given) >= 32
    assert await hall.app.store.load_conversation(ConversationKey("web", made_up)) is None
    async with http.get(f"{hall.url}/chat/api/history") as r:  # the given one is kept
        assert len((await r.json())["items"]) == len(citizen.items)


async def test_an_officers_enrollment_gives_the_page_a_new_session_id(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    officer = ChatClient(http, hall.url)
    await officer.send(command="start")
    before = session_id(http)  # what an attacker may have planted or seen

    await enroll_officer(hall.app, officer)

    after = session_id(http)
    assert after != before
    # the officer goes on with the new id, in the same conversation
    assert any(c["id"] == "call_next" for c in officer.last["choices"])
    async with http.get(f"{hall.url}/chat/api/history") as r:
        assert [i["id"] for i in (await r.json())["items"]] == [i["id"] for i in officer.items]
    # the old id opens nothing at all
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker:
        plant(attacker, hall, before)
        async with attacker.get(f"{hall.url}/chat/api/history") as r:
            assert (r.status, await r.json()) == (409, {"error": "session_replaced"})
        async with attacker.get(f"{hall.url}/chat/api/events?after=0") as r:
            assert r.status == 409
        stolen = ChatClient(attacker, hall.url)
        assert await stolen.post({"id": "x1", "choice": "call_next"}) == (
            409,
            {"error": "session_replaced"},
        )


async def test_a_page_that_said_nothing_is_given_and_kept_nothing(
    hall: HallServer, http: aiohttp.ClientSession, clock: Clock
) -> None:
    async with http.get(f"{hall.url}/chat/api/history") as r:
        assert r.status == 200 and (await r.json())["items"] == []
    async with http.post(f"{hall.url}/chat/api/message", json={"id": "x", "nonsense": 1}) as r:
        assert r.status == 400
    assert not [c for c in http.cookie_jar if c.key == COOKIE]
    clock.advance(seconds=1)
    assert await hall.app.store.forget_web_sessions(timedelta(0), timedelta(0)) == 0
    await ChatClient(http, hall.url).send(command="start")  # the first message keeps one
    clock.advance(seconds=1)
    assert await hall.app.store.forget_web_sessions(timedelta(0), timedelta(0)) == 1
