"""The PostgreSQL database (asyncpg pool), for deployments with several processes.

Transactions run at READ COMMITTED: a conditional UPDATE that waits for another
transaction's row lock re-checks its WHERE on the row as committed, so "only from these
statuses" and "only at this version" hold under concurrency. What a row lock cannot guard
(a count of rows, as for slot capacity) the store guards with an advisory lock.

A pooled connection goes back to the pool as fresh as a new one (no session setting,
LISTEN, advisory lock or cursor left by its last user), but without a round trip of its
own: the reset (asyncpg's, for this server) travels with the COMMIT or ROLLBACK that ends
the transaction, in one message. On a message's unit that is one round trip in five less:
each round trip wakes a server process and this one's event loop, which on a machine
whose cores are all busy is what a message costs most.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
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
        pool = await asyncpg.create_pool(
            url, min_size=POOL_MIN, max_size=POOL_MAX, reset=_reset_with_the_end
        )
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
        try:
            async with self._connection_in_transaction() as conn:
                for st in statements:
                    await _run_one(conn, st, outcome)
        except _Refused as refused:
            outcome.refused = refused.refusal
        return outcome

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._connection_in_transaction() as conn:
            yield _PostgresTransaction(conn)

    @asynccontextmanager
    async def _connection_in_transaction(self) -> AsyncIterator[Any]:
        """A pooled connection in a transaction: committed when the block ends, rolled back
        when it raises, and reset for its next user in the same round trip."""
        async with self._pool.acquire() as conn:
            await conn.execute("BEGIN")
            try:
                yield conn
            except BaseException:
                # If this fails, the pool's release finds the transaction still open and
                # rolls it back, or closes the connection when it cannot.
                with suppress(Exception):
                    await conn.execute("ROLLBACK;" + conn.get_reset_query())
                raise
            try:
                await conn.execute("COMMIT;" + conn.get_reset_query())
            except BaseException:
                conn.terminate()  # what state its session is in is unknown: not reused
                raise

    async def checkpoint(self) -> None:
        """Nothing to do: no log of ours to empty (dead rows: autovacuum)."""

    async def close(self) -> None:
        await self._pool.close()


async def _reset_with_the_end(conn: Any) -> None:
    """The pool's reset on release: already done by the COMMIT or ROLLBACK of
    _connection_in_transaction. (asyncpg rolls back a transaction left open before this,
    and a connection used outside one, by fetch or execute, leaves no session state:
    those run single statements of ours, none of which sets any.)"""


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
