"""The SQLite database (aiosqlite): one writer connection with group commit, WAL readers.

aiosqlite runs every call on the connection's own thread, and each await is a trip there
and back. Writes are therefore grouped: every `run()` that arrives while the writer is busy
joins the next batch, and the whole batch travels to the thread once, as one transaction
with a SAVEPOINT per list of statements. A refused list is rolled back to its
savepoint alone; the others commit together, and every caller hears back only after the
COMMIT. Reads use separate connections (WAL: they never see uncommitted data and never
wait for the writer).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from itertools import cycle
from typing import Any, TypeVar

import aiosqlite

from state.db import (
    SYNCHRONOUS,
    Dialect,
    Outcome,
    Row,
    Statement,
    Synchronous,
    Transaction,
    sqlite_sql,
)

# aiosqlite logs every call with its SQL parameters at DEBUG: personal data must never
# reach a log, whatever level an operator turns on.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

T = TypeVar("T")

MAX_BATCH = 512
READERS = 2
BUSY_TIMEOUT_MS = 10_000
_MEMORY = ":memory:"


def sqlite_path(url: str) -> str:
    """SQLAlchemy's convention: three slashes then a relative path, four for an absolute one."""
    rest = url.removeprefix("sqlite:")
    if rest in ("", "//", "///", f"///{_MEMORY}"):
        return _MEMORY
    if not rest.startswith("///"):
        raise ValueError("expected sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return rest[3:]


def _make_parent(path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _pragmas(conn: sqlite3.Connection, writer: bool, synchronous: Synchronous) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Every connection: the last one to close checkpoints the WAL into the database file.
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    if writer:
        # what is deleted is overwritten, not left in free space for anyone to read
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA journal_mode = WAL")
    else:
        conn.execute("PRAGMA query_only = ON")


def _run_statements(cursor: sqlite3.Cursor, statements: Sequence[Statement]) -> Outcome:
    """One cursor for the whole batch (Connection.execute makes a new one a call)."""
    outcome = Outcome()
    for st in statements:
        if st.only is not None and st.only != "sqlite":
            outcome.counts.append(0)
            outcome.rows.append([])
            continue
        sql = sqlite_sql(st.sql)
        got: list[Row] = []
        if st.many is not None:
            count = cursor.executemany(sql, st.many).rowcount
        elif st.rows:
            got = cursor.execute(sql, st.args).fetchall()
            count = len(got)
        else:
            count = cursor.execute(sql, st.args).rowcount
        outcome.counts.append(count)
        outcome.rows.append(got)
        if st.refuse is not None and count == 0:
            outcome.refused = st.refuse
            return outcome
    return outcome


def _run_batch(
    conn: sqlite3.Connection, batch: Sequence[Sequence[Statement]]
) -> list[Outcome | Exception]:
    """Runs on the connection's thread: one transaction for the whole batch.

    Nearly every batch commits whole, so it first runs without a savepoint per list (two
    statements fewer per list). When a list is refused or fails, that transaction is rolled
    back and the batch runs again from the start with a savepoint per list, so the list
    is rolled back alone and the others commit: the same statements on the same database
    give the same outcomes the second time, and the first run's are thrown away."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        results = _run_lists(conn, batch)
        if results is None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("BEGIN IMMEDIATE")
            results = _run_lists_apart(conn, batch)
        if conn.in_transaction:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results


def _run_lists(
    conn: sqlite3.Connection, batch: Sequence[Sequence[Statement]]
) -> list[Outcome | Exception] | None:
    """Every list's outcome, or None as soon as one is refused or fails (a batch of one
    list is then rolled back and its outcome returned: nothing else needs running)."""
    results: list[Outcome | Exception] = []
    cursor = conn.cursor()
    for statements in batch:
        result: Outcome | Exception
        try:
            result = _run_statements(cursor, statements)
            if result.refused is None:
                results.append(result)
                continue
        except Exception as exc:
            result = exc
        if len(batch) > 1:
            return None
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [result]
    return results


def _run_lists_apart(
    conn: sqlite3.Connection, batch: Sequence[Sequence[Statement]]
) -> list[Outcome | Exception]:
    """One savepoint per list: a refused or failing list is rolled back alone."""
    results: list[Outcome | Exception] = []
    cursor = conn.cursor()
    for statements in batch:
        conn.execute("SAVEPOINT unit")
        result: Outcome | Exception
        try:
            result = _run_statements(cursor, statements)
            failed = result.refused is not None
        except Exception as exc:  # this list's own failure; the others go on
            result, failed = exc, True
        if failed:
            conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
        results.append(result)
    return results


def _fetchall(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[Row]:
    return conn.execute(sql, args).fetchall()


def _rowcount(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> int:
    return conn.execute(sql, args).rowcount


def _executemany(conn: sqlite3.Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    conn.executemany(sql, rows)


class _Connection:
    """An aiosqlite connection, and a way to run a whole function on its thread.

    aiosqlite has no public call for that. Its own methods put (future, function) pairs
    on the connection's `_tx` queue (aiosqlite 0.22, pinned); doing the same is the
    difference between one trip per batch and one per statement.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.aio = conn
        jobs = getattr(conn, "_tx", None)
        raw = getattr(conn, "_connection", None)
        if jobs is None or not isinstance(raw, sqlite3.Connection):
            raise RuntimeError("unknown aiosqlite internals: pin aiosqlite 0.22")
        self._jobs = jobs
        self.raw: sqlite3.Connection = raw

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue fn(raw connection, *args) on the connection's thread."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait((future, partial(fn, self.raw, *args)))
        return future

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.submit(fn, *args)

    @classmethod
    async def open(cls, path: str, *, writer: bool, synchronous: Synchronous) -> _Connection:
        aio = await aiosqlite.connect(path, isolation_level=None, cached_statements=256)
        try:
            conn = cls(aio)
            await conn.call(_pragmas, writer, synchronous)
        except BaseException:  # e.g. not a database: its thread would keep the process alive
            await aio.close()
            raise
        return conn


_Pending = tuple[Sequence[Statement], "asyncio.Future[Outcome | Exception]"]


class SqliteDatabase:
    """The writer connection is used by one thing at a time: a batch of statement lists,
    or one interactive transaction. `_busy` says it is taken; transactions waiting for it
    go first when it comes free, then the lists that queued up meanwhile, as one batch."""

    dialect: Dialect = "sqlite"

    def __init__(self, writer: _Connection, readers: list[_Connection]) -> None:
        self._writer = writer
        self._readers = readers
        self._next_reader = cycle(readers) if readers else None
        self._queue: list[_Pending] = []
        self._busy = False
        self._waiting: deque[asyncio.Future[None]] = deque()  # transactions
        self._drained: asyncio.Future[None] | None = None
        self._closing = False

    @classmethod
    async def open(cls, path: str, synchronous: Synchronous = "full") -> SqliteDatabase:
        if synchronous not in SYNCHRONOUS:  # it goes into a PRAGMA as text
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        if path == _MEMORY:
            # One connection only: a second one would see another, empty database.
            return cls(await _Connection.open(path, writer=True, synchronous=synchronous), [])
        await asyncio.to_thread(_make_parent, path)
        opened = [await _Connection.open(path, writer=True, synchronous=synchronous)]
        try:
            for _ in range(READERS):
                opened.append(await _Connection.open(path, writer=False, synchronous=synchronous))
        except BaseException:
            for conn in opened:
                await conn.aio.close()
            raise
        return cls(opened[0], opened[1:])

    # reads

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        if self._closing:  # a closed connection's thread is gone: the call would never return
            raise RuntimeError("the store is closed")
        if self._next_reader is None:  # in memory: read between the writer's transactions
            await self._acquire()
            try:
                return await self._writer.call(_fetchall, sqlite_sql(sql), args)
            finally:
                self._release()
        return await next(self._next_reader).call(_fetchall, sqlite_sql(sql), args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    # writes

    async def execute(self, sql: str, *args: Any) -> int:
        return (await self.run([Statement(sql, args)])).counts[0]

    async def fetch_written(self, sql: str, *args: Any) -> list[Row]:
        return (await self.run([Statement(sql, args, rows=True)])).rows[0]

    async def run(self, statements: Sequence[Statement], *, independent: bool = False) -> Outcome:
        """`independent` changes nothing here: every list travels to the writer's thread
        in one trip anyway."""
        if self._closing:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[Outcome | Exception] = asyncio.get_running_loop().create_future()
        self._queue.append((statements, future))
        if not self._busy:
            self._dispatch()
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    def _dispatch(self) -> None:
        """Send what is queued to the thread as one batch (called when the writer is free)."""
        taken, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        batch = [pending for pending in taken if not pending[1].cancelled()]
        if not batch:
            self._next()
            return
        self._busy = True
        done = self._writer.submit(_run_batch, [statements for statements, _ in batch])
        done.add_done_callback(partial(self._batch_done, batch))

    def _batch_done(
        self, batch: list[_Pending], done: asyncio.Future[list[Outcome | Exception]]
    ) -> None:
        if done.cancelled():
            for _, future in batch:
                future.cancel()
        elif (error := done.exception()) is not None:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
        else:
            for (_, future), result in zip(batch, done.result(), strict=True):
                if not future.done():
                    future.set_result(result)
        self._busy = False
        self._next()

    def _next(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                self._busy = True
                waiter.set_result(None)
                return
        if self._queue:
            self._dispatch()
        elif self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def _acquire(self) -> None:
        if self._closing:
            raise RuntimeError("the store is closed")
        if not self._busy and not self._waiting:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed over just as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        self._busy = False
        self._next()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        await self._acquire()
        try:
            writer = self._writer
            await writer.call(_rowcount, "BEGIN IMMEDIATE", ())
            try:
                yield _SqliteTransaction(writer)
            except BaseException:
                await writer.call(_rowcount, "ROLLBACK", ())
                raise
            await writer.call(_rowcount, "COMMIT", ())
        finally:
            self._release()

    async def checkpoint(self) -> None:
        """Every page the log holds goes into the file and the log is emptied, so rows
        deleted (and overwritten, secure_delete) are nowhere in it any more."""
        if not self._readers:  # in memory: no file, no log
            return
        await self._acquire()
        try:
            await self._writer.call(_rowcount, "PRAGMA wal_checkpoint(TRUNCATE)", ())
        finally:
            self._release()

    async def close(self) -> None:
        """Lets every write already handed over finish, then closes the connections."""
        if self._closing:
            return
        self._closing = True
        if self._busy or self._queue:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained
        for conn in [*self._readers, self._writer]:
            await conn.aio.close()


class _SqliteTransaction:
    def __init__(self, conn: _Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._conn.call(_fetchall, sqlite_sql(sql), args)

    async def execute(self, sql: str, *args: Any) -> int:
        return await self._conn.call(_rowcount, sqlite_sql(sql), args)

    async def executemany(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        await self._conn.call(_executemany, sqlite_sql(sql), rows)
