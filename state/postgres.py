"""The PostgreSQL database (asyncpg pool), for deployments with several processes.

Transactions run at READ COMMITTED: a conditional UPDATE that waits for another
transaction's row lock re-checks its WHERE on the row as committed, so "only from these
statuses" and "only at this version" hold under concurrency. What a row lock cannot guard
(a count of rows, as for slot capacity) the store guards with an advisory lock.

A pooled connection goes back to the pool as fresh as a new one: after a transaction,
asyncpg's reset clears whatever session state it may have left (a setting, a LISTEN, an
advisory lock, a cursor). A single statement of ours run outside a transaction (a read,
a write, a unit joined into one statement) leaves none, so it goes back without that
extra round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from state import one_statement
from state.db import Dialect, Outcome, Refusal, Row, Statement, Transaction, rows_changed

POOL_MIN = 1
POOL_MAX = 10


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """Knows whether its user ran only single statements since it was handed out."""

    __slots__ = ("_single_statements",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._single_statements = False

    def single_statements(self) -> None:
        """Its user runs single statements of ours outside a transaction: none leaves
        session state, so no reset is needed when it goes back."""
        self._single_statements = True

    async def reset_for_next(self) -> None:
        if self._single_statements:
            self._single_statements = False
            return
        reset = self.get_reset_query()
        if reset:
            await self.execute(reset)


async def _reset(conn: _PooledConnection) -> None:
    await conn.reset_for_next()


class PostgresDatabase:
    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, url: str = "") -> None:
        self._pool = pool
        self.url = url  # for a connection of its own (state/wakeups.py listens on one)

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        url = "postgresql:" + url.split(":", 1)[1]
        pool = await asyncpg.create_pool(
            url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            connection_class=_PooledConnection,
            reset=_reset,
        )
        return cls(pool, url)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._pool.acquire() as conn:
            conn.single_statements()
            return list(await conn.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        async with self._pool.acquire() as conn:
            conn.single_statements()
            row: Row | None = await conn.fetchrow(sql, *args)
            return row

    async def execute(self, sql: str, *args: Any) -> int:
        async with self._pool.acquire() as conn:
            conn.single_statements()
            return rows_changed(await conn.execute(sql, *args))

    async def fetch_written(self, sql: str, *args: Any) -> list[Row]:
        return await self.fetch(sql, *args)

    async def run(self, statements: Sequence[Statement], *, independent: bool = False) -> Outcome:
        mine = [st for st in statements if st.only is None or st.only == "postgres"]
        if independent and one_statement.can_join(mine):
            return await self._run_joined(statements, mine)
        outcome = Outcome()
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    for st in statements:
                        await _run_one(conn, st, outcome)
            except _Refused as refused:
                outcome.refused = refused.refusal
        return outcome

    async def _run_joined(self, statements: Sequence[Statement], mine: list[Statement]) -> Outcome:
        sql, args = one_statement.joined(mine)
        async with self._pool.acquire() as conn:
            conn.single_statements()
            try:
                row = await conn.fetchrow(sql, *args)
            except asyncpg.RaiseError as error:
                if error.message != one_statement.REFUSED_MESSAGE:
                    raise
                return Outcome(refused=one_statement.refused_at(mine, error.detail))
        assert row is not None
        counts = iter(row[:-1])
        outcome = Outcome()
        for st in statements:
            runs_here = st.only is None or st.only == "postgres"
            outcome.counts.append(next(counts) if runs_here else 0)
            outcome.rows.append([])
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
