"""A message's writes to different rows: all of them or none, on either database.

PostgreSQL runs such a list as one statement (state/one_statement.py), SQLite one write
after another in the batch's transaction; what the caller sees must be the same: the same
counts, the first refusal in list order, and nothing left behind by a refused list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from state import SqlStore
from state.db import Database, Refusal, Statement

STALE = Refusal("stale", "marks")
SEEN = Refusal("seen", "inbound")


@pytest.fixture
async def db(store: SqlStore) -> AsyncIterator[Database]:
    database: Database = store._db
    await database.execute("CREATE TABLE marks (name TEXT PRIMARY KEY, version INTEGER)")
    await database.execute("CREATE TABLE seen (id TEXT PRIMARY KEY)")
    await database.execute("INSERT INTO marks (name, version) VALUES ('a', 1), ('b', 1)")
    yield database


def bump(name: str, version: int) -> Statement:
    return Statement(
        "UPDATE marks SET version = version + 1 WHERE name = $1 AND version = $2",
        (name, version),
        refuse=STALE,
    )


def remember(message: str) -> Statement:
    return Statement(
        "INSERT INTO seen (id) VALUES ($1) ON CONFLICT DO NOTHING", (message,), refuse=SEEN
    )


async def state_of(db: Database) -> tuple[list[tuple[str, int]], list[str]]:
    marks = [(r[0], r[1]) for r in await db.fetch("SELECT name, version FROM marks ORDER BY 1")]
    seen = [r[0] for r in await db.fetch("SELECT id FROM seen ORDER BY 1")]
    return marks, seen


async def test_writes_to_different_rows_commit_together(db: Database) -> None:
    outcome = await db.run([remember("m1"), bump("a", 1), bump("b", 1)], independent=True)

    assert outcome.refused is None
    assert outcome.counts == [1, 1, 1]
    assert outcome.rows == [[], [], []]
    assert await state_of(db) == ([("a", 2), ("b", 2)], ["m1"])


async def test_a_stale_write_refuses_the_list_and_leaves_nothing_behind(db: Database) -> None:
    outcome = await db.run([remember("m1"), bump("a", 1), bump("b", 7)], independent=True)

    assert outcome.refused == STALE
    assert await state_of(db) == ([("a", 1), ("b", 1)], [])


async def test_the_first_refusal_in_the_list_is_the_one_reported(db: Database) -> None:
    await db.run([remember("m1")], independent=True)

    outcome = await db.run([remember("m1"), bump("a", 9)], independent=True)

    assert outcome.refused == SEEN  # a redelivery, not a version conflict
    assert await state_of(db) == ([("a", 1), ("b", 1)], ["m1"])


async def test_a_write_that_cannot_refuse_counts_what_it_changed(db: Database) -> None:
    touch_none = Statement("UPDATE marks SET version = 0 WHERE name = $1", ("zzz",))

    outcome = await db.run([touch_none, bump("a", 1)], independent=True)

    assert outcome.refused is None
    assert outcome.counts == [0, 1]


async def test_a_write_for_the_other_database_keeps_its_place(db: Database) -> None:
    other = "postgres" if db.dialect == "sqlite" else "sqlite"
    elsewhere = Statement("DELETE FROM marks", only=other)

    outcome = await db.run([elsewhere, bump("a", 1)], independent=True)

    assert outcome.refused is None
    assert outcome.counts == [0, 1]
    assert await state_of(db) == ([("a", 2), ("b", 1)], [])


async def test_a_failing_write_rolls_back_the_others(db: Database) -> None:
    broken = Statement("INSERT INTO marks (name, version) VALUES ($1, $2)", ("b", 1))

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await db.run([remember("m1"), bump("a", 1), broken], independent=True)

    assert await state_of(db) == ([("a", 1), ("b", 1)], [])


async def test_writes_that_return_rows_run_one_by_one_and_give_their_rows(
    db: Database,
) -> None:
    returning = Statement(
        "UPDATE marks SET version = version + 1 WHERE name = $1 RETURNING version",
        ("a",),
        rows=True,
    )

    outcome = await db.run([remember("m1"), returning], independent=True)

    assert outcome.refused is None
    assert [list(r) for r in outcome.rows[1]] == [[2]]
    assert await state_of(db) == ([("a", 2), ("b", 1)], ["m1"])
