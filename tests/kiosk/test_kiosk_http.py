"""The kiosk's HTTP API against the real server: what a page, a double tap, a second tab,
a replay or a broken client can send, and what comes back. Never a 500, nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from kiosk.sessions import conversation_key
from tests.conftest import Clock
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import REGISTRATION, KioskClient


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # the test server is on an IP address


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        yield session


@pytest.fixture
def kiosk(hall: HallServer, http: aiohttp.ClientSession) -> KioskClient:
    return KioskClient(http, f"{hall.url}/kiosk/kg")


def session_key(http: aiohttp.ClientSession, hall: str = "kg") -> ConversationKey:
    token = next(
        c.value
        for c in http.cookie_jar
        if c.key == "kiosk_session" and c["path"] == f"/kiosk/{hall}"
    )
    return conversation_key(hall, token)


async def test_the_page_is_served_with_strict_security_headers(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{hall.url}/kiosk/kg") as r:
        assert r.status == 200
        page = await r.text()
        headers = r.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert 'data-idle-seconds="60.0"' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline for the CSP
    assert "http://" not in page.replace(hall.url, "") and "https://" not in page


async def test_an_unknown_hall_gets_a_polite_404(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{hall.url}/kiosk/nowhere") as r:
        assert r.status == 404
        assert "Непознат киоск" in await r.text()
        assert r.headers["Content-Security-Policy"]
    async with http.post(f"{hall.url}/kiosk/nowhere/api/message", json={"seq": 1}) as r:
        assert r.status == 404
        assert (await r.json())["error"] == "unknown_hall"
    async with http.get(f"{hall.url}/display/nowhere") as r:
        assert r.status == 404


async def test_the_session_cookie_is_private_and_nothing_is_cached(
    kiosk: KioskClient, http: aiohttp.ClientSession, hall: HallServer
) -> None:
    async with http.get(f"{hall.url}/kiosk/kg/api/state") as r:
        cookie = r.cookies["kiosk_session"]
        assert r.headers["Cache-Control"] == "no-store"
        body = await r.json()
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/kiosk/kg"
    assert body["screen"]["name"] == "kiosk.language"
    assert [c["label"] for c in body["screen"]["choices"]] == ["Ћирилица", "Latinica", "English"]


async def test_a_replayed_message_gets_the_same_answer_and_is_applied_once(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    first = await kiosk.choose("menu.register")
    assert first["screen"]["name"] == "registration.intro"
    # The same tap again (a double tap, or a retry after a lost answer).
    status, again = await kiosk.post({"seq": kiosk.seq, "choice": "menu.register"})
    assert status == 200 and again == first
    conv = await hall.app.store.load_conversation(session_key(http))
    assert conv is not None and conv.flow == "registration" and conv.state == "intro"
    # The conversation goes on from where it was, not one step further.
    await kiosk.choose("ok")
    assert kiosk.screen["name"] == "registration.consent"


async def test_an_old_or_skipped_number_gets_409_with_the_current_screen(
    kiosk: KioskClient,
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.register")
    current = kiosk.screen
    for seq in (1, kiosk.seq + 5):
        status, body = await kiosk.post({"seq": seq, "choice": "menu.ticket"})
        assert status == 409
        assert body["screen"] == current and body["seq"] == kiosk.seq
    # A different answer under the last number is not a replay either.
    status, body = await kiosk.post({"seq": kiosk.seq, "choice": "menu.ticket"})
    assert status == 409 and body["screen"] == current


async def test_a_second_tab_sees_the_same_screen_and_cannot_fork_the_conversation(
    kiosk: KioskClient, http: aiohttp.ClientSession
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    second = KioskClient(http, kiosk.base)  # the same browser: the same cookie
    await second.state()
    assert second.screen == kiosk.screen
    await kiosk.choose("menu.ticket")
    status, body = await second.post({"seq": second.seq + 1, "choice": "menu.register"})
    assert status == 409 and body["screen"]["name"] == "ticket.service"
    # Reloading (GET state) brings back exactly what the first tab shows.
    await second.state()
    assert second.screen == kiosk.screen


@pytest.mark.parametrize(
    ("body", "raw", "status", "error"),
    [
        (b"{not json", True, 400, "malformed_json"),
        (b"\xff\xfe", True, 400, "malformed_json"),
        (b"[1, 2]", True, 400, "not_an_object"),
        ({"seq": 1}, False, 400, "one_answer"),
        ({"seq": 1, "text": "a", "choice": "b"}, False, 400, "one_answer"),
        ({"seq": "1", "text": "a"}, False, 400, "wrong_type"),
        ({"seq": True, "text": "a"}, False, 400, "wrong_type"),
        ({"seq": -1, "text": "a"}, False, 400, "out_of_range"),
        ({"seq": 1, "text": 5}, False, 400, "wrong_type"),
        ({"seq": 1, "text": "x" * 501}, False, 400, "too_long"),
        ({"seq": 1, "text": "a\u0000b"}, False, 400, "control_characters"),
        ({"seq": 1, "text": "a", "admin": True}, False, 400, "unknown_fields"),
        ({"seq": 1, "contact": "+381641234567"}, False, 400, "unknown_fields"),
        ({"seq": 1, "command": "officer", "payload": "X"}, False, 403, "command_not_allowed"),
        ({"seq": 1, "command": "fly"}, False, 400, "unknown_command"),
        ({"seq": 1, "command": "language", "payload": "de"}, False, 400, "unknown_language"),
        ({"seq": 1, "text": "a", "payload": "b"}, False, 400, "payload_without_command"),
    ],
)
async def test_broken_requests_get_a_4xx_json_error_and_change_nothing(
    kiosk: KioskClient, body: object, raw: bool, status: int, error: str
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    before = kiosk.last
    got, answer = await kiosk.post(body, raw=raw)
    assert (got, answer["error"]) == (status, error)
    assert await kiosk.state() == before


async def test_an_oversized_or_non_json_body_is_refused(
    kiosk: KioskClient, http: aiohttp.ClientSession
) -> None:
    await kiosk.state()
    big = b'{"seq": 1, "text": "' + b"a" * 20_000 + b'"}'
    got, answer = await kiosk.post(big, raw=True)
    assert (got, answer["error"]) == (413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read with a limit
        for _ in range(40):
            yield b"a" * 1024

    async with http.post(
        f"{kiosk.base}/api/message", data=chunks(), headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 413
    async with http.post(f"{kiosk.base}/api/message", data={"seq": "1", "text": "a"}) as r:
        assert r.status == 415
    async with http.get(f"{kiosk.base}/api/message") as r:
        assert r.status == 405
    assert (await kiosk.state())["screen"]["name"] == "kiosk.language"


async def test_the_wipe_forgets_the_conversation_and_starts_a_new_session(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="sr-Latn")
    await kiosk.choose("menu.register")
    await kiosk.choose("ok")
    await kiosk.choose("yes")
    await kiosk.send(text="Petar")
    old_key = session_key(http)
    assert await hall.app.store.load_conversation(old_key) is not None

    wiped = await kiosk.send(command="wipe")
    assert wiped["wiped"] is True and wiped["seq"] == 0
    assert wiped["screen"]["name"] == "kiosk.language"
    assert "Petar" not in str(wiped)
    assert session_key(http) != old_key
    assert await hall.app.store.load_conversation(old_key) is None
    # The old cookie leads nowhere: a page still holding it starts afresh.
    async with aiohttp.ClientSession(cookie_jar=jar()) as other:
        other.cookie_jar.update_cookies({"kiosk_session": old_key.user_key.split(":")[1]})
        stale = KioskClient(other, kiosk.base)
        status, body = await stale.post({"seq": 6, "text": "Petrović"})
        assert status == 409 and body["screen"]["name"] == "kiosk.language"
        assert body["screen"]["notice"]


async def test_a_session_unknown_to_the_server_starts_over_politely(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession
) -> None:
    # As after a server restart: the cookie names a session this process never saw.
    http.cookie_jar.update_cookies({"kiosk_session": "A" * 32})
    status, body = await kiosk.post({"seq": 1, "command": "language", "payload": "en"})
    assert status == 200 and body["screen"]["name"] == "menu"  # a first tap just works
    assert session_key(http).user_key != "kg:" + "A" * 32


async def test_a_kiosk_whose_page_died_is_wiped_by_the_server(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession, clock: Clock
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.register")
    key = session_key(http)
    assert await hall.app.store.load_conversation(key) is not None
    clock.advance(hours=1)  # an hour without a sound from the page
    assert await hall.kiosk.sweep() == 1
    assert await hall.app.store.load_conversation(key) is None
    status, body = await kiosk.post({"seq": kiosk.seq + 1, "choice": "ok"})
    assert status == 409 and body["screen"]["name"] == "kiosk.language"


async def test_someone_typing_without_sending_keeps_the_session_from_the_sweep(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession, clock: Clock
) -> None:
    """The page tells the server it is in use while a long answer is typed; silence past
    the idle limit and the warning (plus a few seconds) is what the sweep wipes."""
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.register")
    key = session_key(http)
    quiet = hall.kiosk.settings.quiet
    for _ in range(3):
        clock.advance(seconds=quiet.total_seconds() - 1)
        async with http.post(f"{kiosk.base}/api/touch") as r:
            assert r.status == 204
        assert await hall.kiosk.sweep() == 0
    assert await hall.app.store.load_conversation(key) is not None
    clock.advance(seconds=quiet.total_seconds() + 1)
    assert await hall.kiosk.sweep() == 1
    assert await hall.app.store.load_conversation(key) is None
    async with http.post(f"{kiosk.base}/api/touch") as r:
        assert r.status == 409  # gone: the next tap starts over
    settings = hall.kiosk.settings
    assert quiet.total_seconds() <= settings.idle_seconds + settings.idle_warning_seconds + 10


async def test_a_registration_at_the_kiosk_for_now_ends_with_reference_ticket_and_qr(
    kiosk: KioskClient, hall: HallServer
) -> None:
    await kiosk.state()
    done = await kiosk.register()  # today's first free slot, 20 minutes from now
    screen = done["screen"]
    assert screen["end"] is True and screen["reference"] and screen["ticket"] == "A001"
    assert screen["qr"].startswith("data:image/svg+xml;base64,")
    # The result on a screen of its own: no menu under it, nor its question.
    assert screen["result"] is True and screen["choices"] == []
    assert "Шта желите да урадите?" not in kiosk.text
    registration = await hall.app.store.get_registration(screen["reference"])
    assert registration is not None and registration.hall == "kg"
    assert registration.status == RegistrationStatus.CHECKED_IN


async def test_a_registration_at_the_kiosk_for_a_later_day_has_no_ticket_yet(
    kiosk: KioskClient, hall: HallServer
) -> None:
    await kiosk.state()
    done = await kiosk.register(day="2026-12-02", time="2026-12-02T10:00:00+01:00")
    screen = done["screen"]
    assert screen["end"] is True and screen["reference"] and screen["ticket"] is None
    assert screen["qr"].startswith("data:image/svg+xml;base64,")
    registration = await hall.app.store.get_registration(screen["reference"])
    assert registration is not None and registration.status == RegistrationStatus.SUBMITTED
    assert [j.slip for j in await hall.app.store.print_jobs()] == ["receipt"]


async def test_the_kiosk_asks_for_the_hall_only_when_asked_to_change_it(
    kiosk: KioskClient,
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.register")
    for kind, value in REGISTRATION:
        await kiosk.send(**{kind: value})
    assert kiosk.screen["name"] == "registration.visit_day"  # not "which hall?"
    await kiosk.choose("walk_in")
    assert kiosk.screen["name"] == "registration.summary"
    assert "Kragujevac" in kiosk.text
    # The page sets the changes apart from the main action ("Submit the registration").
    marked = {c["id"]: c.get("change", False) for c in kiosk.screen["choices"]}
    assert marked.pop("submit") is False and len(marked) == 8 and all(marked.values())
    await kiosk.choose("edit_hall")
    assert kiosk.screen["name"] == "registration.hall"
    assert "kg" in [c["id"] for c in kiosk.screen["choices"]]


async def test_static_files_are_whitelisted(hall: HallServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{hall.url}/static/kiosk/kiosk.js") as r:
        assert r.status == 200 and r.content_type == "text/javascript"
        etag = r.headers["ETag"]
    async with http.get(f"{hall.url}/static/kiosk/kiosk.js", headers={"If-None-Match": etag}) as r:
        assert r.status == 304
    for name in ("kiosk.html", "..%2Fweb.py", "not_found.html", "nothing.js"):
        async with http.get(f"{hall.url}/static/kiosk/{name}") as r:
            assert r.status == 404


async def test_the_landing_page_links_every_hall_and_the_web_chat(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{hall.url}/") as r:
        assert r.status == 200
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
        page = await r.text()
    for code in hall.app.halls:
        assert f'href="/kiosk/{code}"' in page and f'href="/display/{code}"' in page
    assert 'href="/chat"' in page and "Крагујевац" in page
    async with http.get(f"{hall.url}/?lang=en") as r:
        assert "Kragujevac City Administration" in await r.text()
    for path in ("/kiosk/kg", "/display/kg", "/chat"):
        async with http.get(hall.url + path) as r:
            assert r.status == 200, path


async def test_with_the_database_away_the_kiosk_answers_politely_and_still_wipes(
    kiosk: KioskClient, hall: HallServer, http: aiohttp.ClientSession
) -> None:
    await kiosk.state()
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.register")
    old_key = session_key(http)
    await hall.app.store.close()  # the database is gone
    status, body = await kiosk.post({"seq": kiosk.seq + 1, "choice": "ok"})
    assert status == 503 and body["error"] == "unavailable" and body["message"]
    async with http.get(f"{kiosk.base}/api/state") as r:
        assert r.status == 503
    # "Finish" still leaves the screen to the next person: a new session, nothing shown.
    wiped = await kiosk.send(command="wipe")
    assert wiped["wiped"] is True and wiped["screen"]["name"] == "kiosk.language"
    assert session_key(http) != old_key
