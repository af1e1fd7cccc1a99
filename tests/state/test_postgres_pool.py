"""PostgreSQL's pool: a connection goes back as fresh as a new one, whatever its last
transaction did (committed, refused or failed). Single statements of ours outside a
transaction leave nothing to reset, and hand their connection back without a reset."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from state.db import Refusal, Statement, connect
from state.postgres import PostgresDatabase
from tests.postgres import fresh_schema

pytestmark = pytest.mark.postgres

LOCK_KEY = 424242
# the connection, its statement timeout, and whether it holds our session advisory lock
_SESSION = (
    "SELECT pg_backend_pid(), current_setting('statement_timeout'), EXISTS (SELECT 1 FROM"
    " pg_locks WHERE locktype = 'advisory' AND objid = $1 AND pid = pg_backend_pid())"
)


@pytest.fixture
async def db() -> AsyncIterator[PostgresDatabase]:
    async with fresh_schema() as (url, _):
        opened = await connect(url)
        assert isinstance(opened, PostgresDatabase)
        await opened.execute("CREATE TABLE marks (n INTEGER NOT NULL)")
        try:
            yield opened
        finally:
            await opened.close()


def session_statements(then: Statement) -> list[Statement]:
    """Leaves session state behind: a setting and an advisory lock that outlive a COMMIT."""
    return [
        Statement("SELECT pg_backend_pid()", rows=True),
        Statement("SET statement_timeout = '17s'"),
        Statement("SELECT pg_advisory_lock($1)", (LOCK_KEY,)),
        Statement("INSERT INTO marks (n) VALUES (1)"),
        then,
    ]


async def session_after(db: PostgresDatabase, pid: int) -> tuple[str, bool]:
    row = await db.fetchrow(_SESSION, LOCK_KEY)
    assert row is not None
    assert row[0] == pid  # the pool hands the last released connection out first
    return str(row[1]), bool(row[2])


async def test_a_committed_unit_leaves_no_session_state_on_its_connection(
    db: PostgresDatabase,
) -> None:
    outcome = await db.run(session_statements(Statement("INSERT INTO marks (n) VALUES (2)")))

    assert outcome.refused is None
    assert await session_after(db, outcome.rows[0][0][0]) == ("0", False)
    assert [r[0] for r in await db.fetch("SELECT n FROM marks ORDER BY n")] == [1, 2]


async def test_a_connection_that_served_single_statements_is_still_reset_after_a_unit(
    db: PostgresDatabase,
) -> None:
    await db.fetchrow("SELECT 1")
    await db.run([Statement("INSERT INTO marks (n) VALUES (0)")], independent=True)

    outcome = await db.run(session_statements(Statement("INSERT INTO marks (n) VALUES (2)")))

    assert await session_after(db, outcome.rows[0][0][0]) == ("0", False)


async def test_a_refused_unit_is_rolled_back_and_leaves_no_session_state(
    db: PostgresDatabase,
) -> None:
    refused = Statement("UPDATE marks SET n = 3 WHERE n = 99", refuse=Refusal("none"))

    outcome = await db.run(session_statements(refused))

    assert outcome.refused == Refusal("none")
    assert await session_after(db, outcome.rows[0][0][0]) == ("0", False)
    assert await db.fetch("SELECT n FROM marks") == []


async def test_a_transaction_that_fails_is_rolled_back_and_leaves_no_session_state(
    db: PostgresDatabase,
) -> None:
    pid = 0
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            pid = (await tx.fetch("SELECT pg_backend_pid()"))[0][0]
            await tx.execute("SET statement_timeout = '17s'")
            await tx.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            await tx.execute("INSERT INTO marks (n) VALUES (1)")
            raise RuntimeError("the caller's own fault")

    assert await session_after(db, pid) == ("0", False)
    assert await db.fetch("SELECT n FROM marks") == []


async def test_a_transaction_that_ends_well_commits(db: PostgresDatabase) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO marks (n) VALUES (5)")

    assert [r[0] for r in await db.fetch("SELECT n FROM marks")] == [5]
