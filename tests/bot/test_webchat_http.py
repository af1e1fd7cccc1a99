"""The web chat over HTTP: the same conversations as Telegram, notifications through the
long poll, replays answered once, broken requests refused with a 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.web.mailbox import Mailboxes, WebChatDelivery
from bot.web.render import render_off_loop
from flows.engine.messages import ConversationKey, Msg, Outbound
from flows.engine.notify import InDoubt, notify, outbound_of
from tests.conftest import Clock
from tests.kiosk.chat_client import (
    ChatClient,
    call_next,
    chat_key,
    enroll_officer,
    register_in_chat,
)
from tests.kiosk.fixtures import hall
from tests.kiosk.hall_server import HallServer, start_hall_server
from tests.kiosk.kiosk_client import KioskClient

__all__ = ["hall"]


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        yield session


@pytest.fixture
def citizen(hall: HallServer, http: aiohttp.ClientSession) -> ChatClient:
    return ChatClient(http, hall.url)


async def test_the_page_has_strict_headers_and_no_inline_code(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{hall.url}/chat") as r:
        assert r.status == 200
        page = await r.text()
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Cache-Control"] == "no-store"
    assert "<script>" not in page and "style=" not in page
    async with http.get(f"{hall.url}/static/chat/chat.js") as r:
        assert r.status == 200 and r.content_type == "text/javascript"
    async with http.get(f"{hall.url}/static/chat/chat.html") as r:
        assert r.status == 404


async def test_a_citizen_registers_in_the_web_chat(
    citizen: ChatClient, hall: HallServer, http: aiohttp.ClientSession
) -> None:
    ref = await register_in_chat(citizen)
    registration = await hall.app.store.get_registration(ref)
    assert registration is not None and registration.email == "milica@example.com"
    [cookie] = [c for c in http.cookie_jar if c.key == "webchat_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/chat"
    links = await hall.app.store.links_of(ref)
    assert links == [await chat_key(hall.app, http)]
    assert cookie.value not in str(links)  # the cookie's id is nowhere but in the browser
    # A reload finds the whole conversation again (kept by the server, not the browser).
    async with http.get(f"{hall.url}/chat/api/history") as r:
        history = await r.json()
    assert [i["id"] for i in history["items"]] == [i["id"] for i in citizen.items]
    assert history["language"] == "en"


async def test_a_retried_message_is_answered_once(citizen: ChatClient) -> None:
    await citizen.send(command="start")
    await citizen.picks("lang:en")
    body = {"id": "same-id-1", "choice": "menu.register"}
    status, first = await citizen.post(body)
    status2, again = await citizen.post(body)
    assert status == status2 == 200 and first == again
    status, after = await citizen.post({"id": "next-2", "choice": "ok"})
    assert status == 200 and after["items"][-1]["screen"] == "registration.consent"


async def test_the_officers_call_reaches_the_citizens_open_chat(
    hall: HallServer, citizen: ChatClient
) -> None:
    ref = await register_in_chat(citizen)
    async with aiohttp.ClientSession(cookie_jar=jar()) as kiosk_http:
        kiosk = KioskClient(kiosk_http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="en")
        await kiosk.choose("menu.checkin")
        ticket = (await kiosk.send(scan=ref))["screen"]["ticket"]
    async with aiohttp.ClientSession(cookie_jar=jar()) as officer_http:
        officer = ChatClient(officer_http, hall.url)
        await enroll_officer(hall.app, officer, counter="1")
        last = citizen.items[-1]["id"]
        await call_next(officer)
    news: list[dict[str, object]] = []
    for _ in range(5):  # the long poll answers as soon as something arrives
        body = await citizen.events(last)
        news += body["items"]
        last = body["last"]
        if any(ticket in " ".join(i["text"]) for i in news):  # type: ignore[arg-type]
            break
    assert any(ticket in " ".join(i["text"]) for i in news)  # type: ignore[arg-type]
    assert all(i["from"] == "bot" for i in news)


async def test_an_empty_long_poll_answers_empty(citizen: ChatClient) -> None:
    await citizen.send(command="start")
    body = await citizen.events(citizen.items[-1]["id"])
    assert body["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"text": "hi"}, 400, "id_required"),
        ({"id": "a b", "text": "hi"}, 400, "id_required"),
        ({"id": "x1"}, 400, "one_answer"),
        ({"id": "x1", "text": "a", "choice": "b"}, 400, "one_answer"),
        ({"id": "x1", "text": 3}, 400, "wrong_type"),
        ({"id": "x1", "text": "   "}, 400, "empty"),
        ({"id": "x1", "text": "a", "extra": 1}, 400, "unknown_fields"),
        ({"id": "x1", "command": "wipe"}, 403, "command_not_allowed"),
        ({"id": "x1", "command": "dance"}, 400, "unknown_command"),
        ({"id": "x1", "command": "language", "payload": "xx"}, 400, "unknown_language"),
    ],
)
async def test_broken_messages_get_a_4xx(
    citizen: ChatClient, body: dict[str, object], status: int, error: str
) -> None:
    got, answer = await citizen.post(body)
    assert (got, answer["error"]) == (status, error)


async def test_malformed_and_oversized_bodies_get_a_4xx(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    url = f"{hall.url}/chat/api/message"
    json_type = {"Content-Type": "application/json"}
    for data, status in [
        (b"{", 400),
        (b'"text"', 400),
        (b'{"id": "x", "text": "' + b"a" * 20_000 + b'"}', 413),
    ]:
        async with http.post(url, data=data, headers=json_type) as r:
            assert r.status == status
    async with http.post(url, data="id=x&text=a") as r:
        assert r.status == 415
    async with http.get(f"{hall.url}/chat/api/events?after=soon") as r:
        assert r.status == 400


async def test_notifications_wait_in_the_mailbox_until_fetched(
    hall: HallServer, citizen: ChatClient, http: aiohttp.ClientSession
) -> None:
    await citizen.send(command="start")
    key = await chat_key(hall.app, http)
    boxes = Mailboxes(hall.app.store, render_off_loop, keep=3)
    delivery = WebChatDelivery(boxes)
    for n in range(5):
        texts = [Msg.of("notify.called", ticket=f"A00{n}", counter="1")]
        await delivery.deliver(
            outbound_of(notify(key, "en", texts, f"called:{n}", in_doubt=InDoubt.RESEND))
        )
    # Delivered again (a worker that died before marking it done): kept once.
    again = [Msg.of("notify.called", ticket="A004", counter="1")]
    await delivery.deliver(
        outbound_of(notify(key, "en", again, "called:4", in_doubt=InDoubt.RESEND))
    )
    async with http.get(f"{hall.url}/chat/api/history") as r:
        items = (await r.json())["items"]
    last = citizen.items[-1]["id"]
    assert [i["id"] for i in items] == [last + 3, last + 4, last + 5]  # the oldest make room
    assert "A004" in items[-1]["text"][0] and "A003" in items[-2]["text"][0]
    with pytest.raises(ValueError):
        await delivery.deliver(Outbound(ConversationKey("telegram", "1"), "en", ()))


async def test_a_chat_nobody_opened_for_a_day_is_erased(
    hall: HallServer, citizen: ChatClient, http: aiohttp.ClientSession, clock: Clock
) -> None:
    await citizen.send(command="start")
    await citizen.picks("lang:en")
    async with aiohttp.ClientSession(cookie_jar=jar()) as other_http:
        other = ChatClient(other_http, hall.url)
        await other.send(command="start")
        clock.advance(hours=20)
        await other.events(0)  # the other page is still open
        told = len(other.items)
        await other.picks("lang:en")
        clock.advance(hours=5)
        assert await hall.chat.deps.mailboxes.forget_stale() == 1
        async with other_http.get(f"{hall.url}/chat/api/history") as r:
            kept = (await r.json())["items"]  # what it was told within the day, no more
        assert kept == other.items[told:] and kept
    async with http.get(f"{hall.url}/chat/api/history") as r:
        assert (await r.json())["items"] == []


async def test_a_long_poll_finds_a_notice_whose_wake_up_was_lost(
    make_app: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    # The poll waits long and reads the mailbox again every 0.2 s; the notice is written
    # straight into the store, as when its wake-up never arrived.
    server = await start_hall_server(await make_app(), poll_seconds=60.0, reread_seconds=0.2)
    try:
        citizen = ChatClient(http, server.url)
        await citizen.send(command="start")
        token = (await chat_key(server.app, http)).user_key
        after = citizen.items[-1]["id"]
        waiting = asyncio.create_task(citizen.events(after))
        item = {"from": "bot", "text": ["A017 → 2"]}
        assert await server.app.store.post_to_mailbox(token, [item], "en", keep=200)
        body = await waiting
        assert [i["text"] for i in body["items"]] == [["A017 → 2"]]
    finally:
        await server.close()
