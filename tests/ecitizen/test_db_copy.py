"""`ecitizen db copy`: an SQLite installation moves to PostgreSQL without losing a row."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from ecitizen.app import App
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from flows.engine.records import ActivationProgress, HelpVisit, KioskSession, PrinterState, Unit
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk
from tests.flows.test_officer_dialogue import enrolled, invite
from tests.flows.test_queue_dialogue import take_ticket
from tests.flows.test_registration_dialogue import WORDS, register
from tests.inbox import Inbox
from tests.postgres import postgres_admin, schema_url

ROOT = Path(__file__).resolve().parents[2]


async def ecitizen(*args: str) -> tuple[int, str, str]:
    """The command as an operator types it, in its own process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecitizen.cli",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def target() -> AsyncIterator[str]:
    """An empty PostgreSQL schema of this test's own, as a database URL."""
    url, admin = await postgres_admin()
    schema = f"test_{uuid.uuid4().hex}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(url, schema)
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


def chats(app: App) -> Callable[..., Chat]:
    def make(user: str = "ana", channel: str = "terminal") -> Chat:
        return Chat(app, user, channel)

    return make


async def fill_every_table(app: App) -> tuple[str, str]:
    """Real flows: a chat registration approved by an enrolled officer (account, credentials
    slip, audit, notices delivered), a kiosk registration checked in (ticket, slip), a walk-in
    ticket, and an enrollment code not used yet. Returns (approved ref, unused code)."""
    chat = chats(app)
    ref = await register(chat("ana"), WORDS["sr-Cyrl"], email="ana@primer.rs")
    await register_at_kiosk(chat("kg:s1", "kiosk"))
    await take_ticket(chat("kg:s2", "kiosk"))
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одобри")
    assert f"Пријава {ref} је одобрена" in await mira.picks("Да")
    app.add_delivery("terminal", Inbox())
    while await app.outbox.run_once():
        pass
    unused = await invite(app, "Зоран")
    stranger = chat("stranger")
    await stranger.says("/start")
    await stranger.picks("ћирилица")
    await stranger.says("/officer AAAA-BBBB-CCCC")  # a wrong code: counted by the throttle
    await fill_what_channels_and_workers_keep(app, ref)
    return ref, unused


async def fill_what_channels_and_workers_keep(app: App, ref: str) -> None:
    """The tables the kiosk, the web chat, Viber, the leases and the ConsentID guide keep,
    each through its own store call, as those parts write them."""
    store, now = app.store, app.env.clock()
    kiosk = ConversationKey("kiosk", "kg:copy-token")
    await store.add_kiosk_session(KioskSession("copy-token", "kg", kiosk))
    await store.post_to_mailbox(
        "web-user", [{"text": ["Здраво"]}], "sr-Cyrl", keep=200, reply_to="m1"
    )
    await store.post_to_mailbox(
        "web-user", [{"text": ["Обавештење"]}], "sr-Cyrl", keep=200, notice="n1:web:web-user"
    )
    await store.add_web_session("a-hash", "web-user")
    await store.acquire_lease("copy-test", store.owner, 60)
    await store.save_printer_state("file", PrinterState("online"))
    viber = ConversationKey("viber", "v-user")
    await store.set_chat_reach(viber, True, now)
    await store.record_sent("viber", ["token-1"], "notice-1", now)
    visit = now.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=2)
    await store.apply(
        Unit(
            activations=[ActivationProgress(ref, 2)],
            help_visits=[HelpVisit(ref, "kg", visit, 10)],
        )
    )


def source_tables(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table of the SQLite file (but the schema version): its columns and rows."""
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite%' AND name != 'schema_version'"
            )
        ]
        found = {}
        for name in names:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            listed = ", ".join(f'"{c}"' for c in columns)
            found[name] = (columns, conn.execute(f'SELECT {listed} FROM "{name}"').fetchall())
    return found


def same_order(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)


@pytest.mark.postgres
async def test_every_row_of_every_table_arrives_and_new_rows_follow(
    make_app: Callable[..., Any], tmp_path: Path, target: str, clock: Clock
) -> None:
    app: App = await make_app()
    ref, unused_code = await fill_every_table(app)
    await app.close()  # as the operator stops `ecitizen serve` first
    database = tmp_path / "var" / "ecitizen.db"
    before = source_tables(database)
    empty = [name for name, (_, rows) in before.items() if not rows]
    assert not empty, f"the fixture leaves these tables empty, fill them: {empty}"

    code, out, err = await ecitizen("db", "copy", "--from", str(database), "--to", target)

    assert code == 0, err
    assert "every count matches" in out
    for name, (_, rows) in before.items():
        assert any(
            line.split()[:3] == [name, f"{len(rows):,}", f"{len(rows):,}"]
            for line in out.splitlines()
        ), name
    conn = await asyncpg.connect(target)
    try:
        for name, (columns, rows) in before.items():
            listed = ", ".join(f'"{c}"' for c in columns)
            copied = [tuple(r) for r in await conn.fetch(f'SELECT {listed} FROM "{name}"')]
            assert same_order(copied) == same_order(rows), name
        identities = await conn.fetch(
            "SELECT table_name, column_name,"
            " pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND is_identity = 'YES'"
        )
        assert identities
        for table, column, sequence in identities:
            highest = await conn.fetchval(f'SELECT max("{column}") FROM "{table}"')
            assert await conn.fetchval("SELECT nextval($1)", sequence) > highest, table
    finally:
        await conn.close()
    # The service goes on from where it was, on PostgreSQL.
    moved: App = await make_app(data={"database": target, "dir": str(tmp_path / "pg")})
    try:
        registration = await moved.store.get_registration(ref)
        assert registration is not None and registration.status == RegistrationStatus.APPROVED
        assert await take_ticket(chats(moved)("kg:s3", "kiosk")) == "B002"
        zoran = chats(moved)("zoran")
        await zoran.says("/start")
        await zoran.picks("ћирилица")
        assert "Добро дошли, Зоран" in await zoran.says(f"/officer {unused_code}")
        assert sorted(o.name for o in await moved.store.officers("kg")) == ["Зоран", "Мира"]
    finally:
        await moved.close()


@pytest.mark.postgres
async def test_a_target_that_holds_data_is_refused_and_left_as_it_was(
    make_app: Callable[..., Any], tmp_path: Path, target: str
) -> None:
    app: App = await make_app()
    await register(chats(app)("ana"), WORDS["en"])
    await app.close()
    database = str(tmp_path / "var" / "ecitizen.db")
    assert (await ecitizen("db", "copy", "--from", database, "--to", target))[0] == 0

    code, _, err = await ecitizen("db", "copy", "--from", database, "--to", target)

    assert code == 1
    assert "not empty" in err and "new, empty database" in err
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM registrations") == 1
    finally:
        await conn.close()


@pytest.mark.parametrize("what", ["missing", "not a database"])
async def test_a_source_that_is_no_sqlite_database_is_named(tmp_path: Path, what: str) -> None:
    source = tmp_path / "ecitizen.db"
    if what == "not a database":
        source.write_text("name,phone\n", encoding="utf-8")

    code, _, err = await ecitizen(
        "db", "copy", "--from", str(source), "--to", "postgresql://nobody@127.0.0.1:1/none"
    )

    assert code == 1
    assert str(source) in err
    assert ("no SQLite database" if what == "missing" else "not an SQLite database") in err
