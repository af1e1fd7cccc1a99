"""Three `ecitizen serve` processes on one PostgreSQL database: a busy day at the hall.

500 citizens register (Telegram webhooks delivered round robin to the three servers, the
web chat and the kiosk over HTTP through a round-robin balancer), many of them check in at
the kiosk, four officers call, approve and reject at the same time from browsers whose
long poll goes to another server than their messages. Halfway, one server is killed with
SIGKILL.

It is not started again. A machine that dies does not come back on cue, and a restart
would hide what this test is about: at start-up a server clears what a crash left behind
(print jobs cut off, its own leases), so with a restart the work the dead server held
would be released by the restart, not by its peers. The survivors must take over
everything it held (notices it claimed, its printers, the kiosks and pages it served)
within a minute. Restarts are what test_crash_reply.py does, over and over.

Afterwards, against what people saw and what came out of the printers:
- every registration ends in exactly one decision;
- every citizen and every officer got every notice exactly once, whichever server their
  browser talks to;
- no ticket number repeats or goes missing, and every ticket is held by one person;
- per printer, slips come out one at a time and oldest first, each once or marked
  uncertain;
- no kiosk conversation outlives its idle limit;
- after the purge, no personal data of a purged registration is left in the database or
  in what any server still shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import pytest

from flows.conversations.officer import invite_hash, new_invite_code
from flows.engine.records import OfficerInvite
from kiosk.settings import SWEEP_GRACE_SECONDS
from state import open_store
from tests.ecitizen import checks
from tests.ecitizen.browsers import KIOSK_COOKIE, WEBCHAT_COOKIE, Balancer, PageError, WebChatPage
from tests.ecitizen.cluster import Server, make_servers, run_cli
from tests.ecitizen.hall_day import HallDay, Plan
from tests.ecitizen.officers import Officer
from tests.ecitizen.people import Journal
from tests.fakes.bot_api_server import FakeBotApi, SecondCap
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.postgres import fresh_schema

pytestmark = pytest.mark.postgres

SECRET = "three-servers-webhook"
WEBHOOK = "/telegram/webhook"
IDLE_S, WARNING_S = 4, 2
# The kiosk's idle limit: its page wipes after idle + warning; a page that died is wiped
# by the server within the sweep's grace and one sweep period (idle / 2) after that.
IDLE_LIMIT_S = IDLE_S + WARNING_S + SWEEP_GRACE_SECONDS + max(1.0, IDLE_S / 2) + 3
SETTLE_S = 60.0  # effects held by the dead server are delivered within a minute
DAY_S = 240.0
# Telegram's bot-wide limit as the fake Bot API server keeps it (a few more tolerated)
TELEGRAM_CAP = SecondCap(per_second=30, burst=3)
# Each server at a pace of its own sent 85 to 101 in a second. Sharing one pace, the three
# keep to 30 by the tokens they take, but the fake server counts a call when its loop gets
# to it: on a machine with a load of 15, a late loop counts half a second's calls in the
# next one (49 seen). So the day fails only on what sharing cannot explain.
BUSIEST_SECOND = 2 * TELEGRAM_CAP.per_second
PRINTERS = ("kiosk", "desk12", "desk34")
OFFICERS = (("Mira", "1"), ("Zoran", "2"), ("Vesna", "3"), ("Dragan", "4"))
# A message lost on its way while its server died, then sent again: what pages do.
TRANSIENT = ("webchat: a message failed on its way", "kiosk: a tap failed on its way")


def hall_config(tmp: Path, database: str, api: FakeBotApi, printers: dict[str, Any]) -> dict:
    every_day = {d: "00:00-23:59" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return {
        "data": {"dir": str(tmp / "var"), "database": database},
        "engine": {"retention_days": 0},  # `ecitizen purge` at the end erases at once
        "links": {"secret": "three-servers-share-this-secret"},
        "kiosk": {"idle_seconds": IDLE_S, "idle_warning_seconds": WARNING_S},
        "telegram": {
            "token": api.token,
            "api_url": api.url,
            "mode": "webhook",
            "webhook_url": "http://127.0.0.1:9/telegram/webhook",  # the "load balancer"
            "webhook_secret": SECRET,
            "bot_username": api.username,
        },
        "halls": [
            {
                "code": "kg",
                "name": "Крагујевац, Градска управа",
                "name_en": "Kragujevac City Administration",
                "address": "Трг слободе 3, Крагујевац",
                "hours": every_day,
                "capacity": 8,
                "counters": [c for _, c in OFFICERS],
                "printer": "kiosk",
                "counter_printers": {"1": "desk12", "2": "desk12", "3": "desk34", "4": "desk34"},
            }
        ],
        "printers": {
            name: {
                "kind": "network",
                "host": "127.0.0.1",
                "port": printer.port,
                "profile": checks.PRINTER_PROFILE,
                "status_timeout": 0.5,
                "connect_timeout": 1.0,
            }
            for name, printer in printers.items()
        },
    }


@contextlib.asynccontextmanager
async def network_printers() -> AsyncIterator[dict[str, FakeNetworkPrinter]]:
    printers = {name: FakeNetworkPrinter().start() for name in PRINTERS}
    try:
        yield printers
    finally:
        for printer in printers.values():
            printer.stop()


async def enroll(
    servers: list[Server], balancer: Balancer, url: str, journal: Journal
) -> list[Officer]:
    store = await open_store(url)
    officers = []
    try:
        for k, (name, counter) in enumerate(OFFICERS):
            code = new_invite_code()
            expires = datetime.now(UTC) + timedelta(hours=1)
            await store.add_invite(OfficerInvite(invite_hash(code), name, "kg", expires))
            page = WebChatPage(name, balancer, journal, poll_at=servers[k % len(servers)])
            officer = Officer(name, counter, page, journal, random.Random(k))
            await officer.enroll(code)
            officers.append(officer)
    finally:
        await store.close()
    return officers


async def settle(db: asyncpg.Connection, day: HallDay) -> None:
    """Until every notice is delivered, every slip printed and the kiosk idle limit has
    passed since the last kiosk left unfinished, or SETTLE_S."""
    start = time.monotonic()
    while time.monotonic() - start < SETTLE_S:
        pending = await db.fetchval(
            "SELECT count(*) FROM outbox WHERE kind = 'notify' AND status = 'pending'"
        )
        printing = await db.fetchval(
            "SELECT count(*) FROM print_jobs WHERE status IN ('queued', 'printing')"
        )
        idle = time.monotonic() - day.last_kiosk_abandon > IDLE_LIMIT_S
        if pending == 0 and printing == 0 and idle:
            break
        await asyncio.sleep(0.5)
    day.timings["settled after"] = time.monotonic() - start
    await asyncio.sleep(1.0)  # the pages' long polls bring the last notices


async def web_chats(db: asyncpg.Connection) -> Callable[[str], tuple[str, str]]:
    """A page's session cookie -> its chat. The server keeps only a hash of the cookie and
    never shows the chat's key to the page (bot/webchat.py); the test reads the mapping."""
    rows = await db.fetch("SELECT token_hash, user_key FROM webchat_sessions")
    keys = {row["token_hash"]: row["user_key"] for row in rows}

    def chat_of(token: str) -> tuple[str, str]:
        hashed = hashlib.sha256(token.encode()).hexdigest()
        return ("web", keys.get(hashed) or f"unknown:{token}")

    return chat_of


def received_notices(
    day: HallDay, api: FakeBotApi, chat_of: Callable[[str], tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    received: dict[tuple[str, str], list[str]] = {}
    for o in day.outcomes:
        if o.chat and o.chat[0] == "telegram":
            received[o.chat] = [m.text for m in api.users[int(o.chat[1])].inbox]
    for page in day.pages + day.officer_pages():
        if page.token:
            received[chat_of(page.token)] = ["\n".join(i["text"]) for i in page.notices()]
    return received


async def purge_and_look(
    day: HallDay, db: asyncpg.Connection, schema: str, findings: checks.Findings
) -> None:
    """`ecitizen purge`, then look for the erased people's data in the database and in
    what every live server still shows: their pages and kiosks, and the officers'."""
    snap = await checks.snapshot(db)
    rejected = {ref for ref, r in snap.registrations.items() if r["status"] == "rejected"}
    erased = {m: o.who for o in day.outcomes if o.ref in rejected for m in o.data.markers()[:2]}
    left = {m: o.who for o in day.outcomes if o.abandoned for m in o.data.markers()[:2]}
    status, said = await run_cli(day.servers[0].config, "purge")
    assert status == 0, said
    found = await checks.personal_data_left(db, schema, erased)
    findings.many("no personal data of a purged registration in the database", found)
    found = await checks.personal_data_left(db, schema, left)
    findings.many("no half-typed personal data in the database after the purge", found)
    purged = [o for o in day.outcomes if o.ref in rejected]
    pages = [p for p in day.pages if p.who in {o.who for o in purged}] + day.officer_pages()
    kiosks = [k for k in day.kiosk_pages if k.who.split("@")[0] in {o.who for o in purged}]
    for server in [s for s in day.servers if s.alive]:
        for page in pages:
            with contextlib.suppress(PageError):
                got = await day.balancer.call(
                    "GET", "/chat/api/history", cookie=(WEBCHAT_COOKIE, page.token), first=server
                )
                where = f"server {got.server.name}, web chat history of {page.who}"
                shown = checks.texts_with(erased, where, got.body)
                findings.many("no purged personal data in what a server shows", shown)
        for token in [t for kiosk in kiosks for t in kiosk.tokens]:
            with contextlib.suppress(PageError):
                got = await day.balancer.call(
                    "GET", "/kiosk/kg/api/state", cookie=(KIOSK_COOKIE, token), first=server
                )
                where = f"server {got.server.name}, a kiosk screen"
                shown = checks.texts_with(erased, where, got.body)
                findings.many("no purged personal data in what a server shows", shown)


def server_faults(servers: list[Server], findings: checks.Findings) -> None:
    for server in servers:
        lines = server.log().splitlines()
        for k, line in enumerate(lines):
            if line.startswith("Traceback"):
                cause = next((x for x in lines[k + 1 :] if x and not x.startswith(" ")), "?")
                findings.add("no server fails with an exception", f"{server.name}: {cause[:160]}")


def measurements(day: HallDay, api: FakeBotApi) -> str:
    registered = sum(1 for o in day.outcomes if o.ref)
    peak = max(api.per_second.values(), default=0)
    per_server = {
        s.name: sum(1 for d in api.webhook_deliveries if d.target.startswith(s.url))
        for s in day.servers
    }
    transient = ", ".join(f"{k}: {day.journal.count(k)}" for k in TRANSIENT)
    return (
        f"{len(day.outcomes)} people, {registered} registered, "
        f"{sum(len(o.decisions) for o in day.officers)} decided; server "
        f"{day.killed.name if day.killed else '-'} killed; webhook posts per server {per_server}; "
        f"{len(api.sent)} Telegram messages, at most {peak} calls in one second (Telegram "
        f"allows a bot about 30); {transient}; "
        + ", ".join(f"{k} at {v:.0f} s" for k, v in day.timings.items())
    )


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[asyncpg.Connection]:
    db = await asyncpg.connect(url)
    try:
        yield db
    finally:
        await db.close()


async def open_the_hall(
    servers: list[Server], api: FakeBotApi, http: aiohttp.ClientSession, url: str
) -> HallDay:
    """The servers up, the officers at their counters."""
    started = time.monotonic()
    await asyncio.gather(*(s.start() for s in servers))
    await asyncio.gather(*(s.ready() for s in servers))
    balancer = Balancer(servers, http)
    journal = Journal()
    officers = await enroll(servers, balancer, url, journal)
    plan = Plan(idle_s=IDLE_S + WARNING_S)
    day = HallDay(plan, servers, api, balancer, officers, random.Random(8), journal)
    for officer in officers:
        day.follow(officer.page)
    day.timings["open"] = time.monotonic() - started
    return day


async def check_the_day(
    day: HallDay,
    url: str,
    schema: str,
    printers: dict[str, FakeNetworkPrinter],
    findings: checks.Findings,
) -> list[str]:
    """Checks everything; returns the notices taken over in doubt (who, what, outcome)."""
    async with connect(url) as db:
        snap = await checks.snapshot(db)
        chat_of = await web_chats(db)
        for o in day.outcomes:
            if o.chat and o.chat[0] == "web":
                o.chat = chat_of(o.chat[1])
        checks.registrations_end_in_one_decision(snap, day.outcomes, day.officers, findings)
        officer_chats = {chat_of(o.page.token or ""): o.name for o in day.officers}
        received = received_notices(day, day.api, chat_of)
        doubted = checks.notices_once(snap, day.outcomes, received, officer_chats, findings)
        checks.tickets_whole(snap, day.outcomes, findings)
        checks.printing_in_order(snap, printers, findings)
        checks.kiosk_conversations_wiped(snap, IDLE_LIMIT_S, findings)
        await purge_and_look(day, db, schema, findings)
    for kind, examples in day.journal.incidents.items():
        if kind not in TRANSIENT:
            findings.many(f"what people met: {kind}", examples)
    return doubted


async def test_three_servers_on_one_database_serve_a_busy_day_and_survive_a_sigkill(
    tmp_path: Path,
) -> None:
    findings = checks.Findings()
    telegram = FakeBotApi(second_cap=TELEGRAM_CAP)  # 429 above it, as Telegram answers
    async with fresh_schema() as (url, schema), telegram as api, network_printers() as printers:
        servers = make_servers(tmp_path, ["a", "b", "c"], hall_config(tmp_path, url, api, printers))
        api.deliver_webhooks_to([s.url + WEBHOOK for s in servers], max_connections=40)
        jar = aiohttp.DummyCookieJar()  # each page sends its own cookie, to any server
        try:
            async with aiohttp.ClientSession(
                cookie_jar=jar, connector=aiohttp.TCPConnector(limit=0)
            ) as http:
                day = await open_the_hall(servers, api, http, url)
                await day.run(DAY_S)
                async with connect(url) as db:
                    await settle(db, day)
                await day.close()
                doubted = await check_the_day(day, url, schema, printers, findings)
        finally:
            for server in servers:
                await server.stop()
    server_faults(servers, findings)
    busiest = max(api.per_second.values(), default=0)
    if busiest > BUSIEST_SECOND:
        findings.add("Telegram's bot-wide limit holds for the three", f"{busiest} calls in 1 s")
    summary = measurements(day, api) + f"; notices taken over in doubt: {doubted or 'none'}"
    print(summary)
    assert not findings, f"{summary}\n{findings.report()}"
