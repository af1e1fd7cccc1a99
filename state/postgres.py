"""The PostgreSQL database (asyncpg pool), for deployments with several processes.

Transactions run at READ COMMITTED: a conditional UPDATE that waits for another
transaction's row lock re-checks its WHERE on the row as committed, so "only from these
statuses" and "only at this version" hold under concurrency. What a row lock cannot guard
(a count of rows, as for slot capacity) the store guards with an advisory lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from state.db import Dialect, Outcome, Refusal, Row, Statement, Transaction, rows_changed

POOL_MIN = 1
POOL_MAX = 10


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class PostgresDatabase:
    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, url: str = "") -> None:
        self._pool = pool
        self.url = url  # for a connection of its own (state/wakeups.py listens on one)

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        url = "postgresql:" + url.split(":", 1)[1]
        pool = await asyncpg.create_pool(url, min_size=POOL_MIN, max_size=POOL_MAX)
        return cls(pool, url)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._pool.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = await self._pool.fetchrow(sql, *args)
        return row

    async def execute(self, sql: str, *args: Any) -> int:
        return rows_changed(await self._pool.execute(sql, *args))

    async def fetch_written(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._pool.fetch(sql, *args))

    async def run(self, statements: Sequence[Statement]) -> Outcome:
        outcome = Outcome()
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    for st in statements:
                        await _run_one(conn, st, outcome)
            except _Refused as refused:
                outcome.refused = refused.refusal
        return outcome

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield _PostgresTransaction(conn)

    async def checkpoint(self) -> None:
        """Nothing to do: no log of ours to empty (dead rows: autovacuum)."""

    async def close(self) -> None:
        await self._pool.close()


async def _run_one(conn: Any, st: Statement, outcome: Outcome) -> None:
    got: list[Row] = []
    if st.only is not None and st.only != "postgres":
        count = 0
    elif st.many is not None:
        await conn.executemany(st.sql, st.many)
        count = len(st.many)
    elif st.rows:
        got = list(await conn.fetch(st.sql, *st.args))
        count = len(got)
    else:
        count = rows_changed(await conn.execute(st.sql, *st.args))
    outcome.counts.append(count)
    outcome.rows.append(got)
    if st.refuse is not None and count == 0:
        raise _Refused(st.refuse)


class _PostgresTransaction:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._conn.fetch(sql, *args))

    async def execute(self, sql: str, *args: Any) -> int:
        return rows_changed(await self._conn.execute(sql, *args))

    async def executemany(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        await self._conn.executemany(sql, rows)
