"""One small database interface with two implementations: SQLite and PostgreSQL.

SQL is written once, with PostgreSQL's `$1` placeholders (SQLite reads them as `?1`).
Writes that must be all-or-nothing are handed over as a list of `Statement`s: the
implementation runs them in one transaction and stops at the first statement whose
`refuse` condition holds (it changed or returned no row), rolling the list back. That
shape lets SQLite run a whole list, and a whole batch of lists, in one trip to its
thread, and lets PostgreSQL run it in one transaction of its pool, or as one statement
when its writes are independent of each other (state/one_statement.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

Dialect = Literal["sqlite", "postgres"]

# How an SQLite commit reaches the disk. "full" (the default): the WAL file is synced at every
# commit, so a commit survives a power cut. "normal": synced only at checkpoints; a commit
# survives a crash of the process, but a power cut can take the last ones back.
Synchronous = Literal["full", "normal"]
SYNCHRONOUS: tuple[Synchronous, ...] = get_args(Synchronous)


class Row(Protocol):
    """A result row: a tuple on SQLite, an asyncpg Record on PostgreSQL."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __len__(self) -> int: ...


# Refusal and Statement are built several times for every message: not frozen, because a
# frozen dataclass takes about four times as long to build. Nothing changes one once made.
@dataclass(slots=True)
class Refusal:
    """Why a list of statements was refused, for the store to turn into its error."""

    reason: str
    subject: Any = None


@dataclass(slots=True)
class Statement:
    sql: str
    args: tuple[Any, ...] = ()
    # When the statement changes (or, with rows=True, returns) no row, the whole list is
    # rolled back and refused with this.
    refuse: Refusal | None = None
    rows: bool = False  # fetch what the statement returns (SELECT or RETURNING)
    # executemany with these argument rows; its count is not comparable across databases
    # (SQLite: rows changed, PostgreSQL: rows given), so never `refuse` on it.
    many: Sequence[tuple[Any, ...]] | None = None
    only: Dialect | None = None  # run on this database alone (e.g. an advisory lock)


@dataclass(slots=True)
class Outcome:
    """What running a list of statements gave: one count and one row list per statement."""

    refused: Refusal | None = None
    counts: list[int] = field(default_factory=list)
    rows: list[list[Row]] = field(default_factory=list)


class Transaction(Protocol):
    """An interactive transaction, for the few writes where a statement needs the rows of
    an earlier one."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def execute(self, sql: str, *args: Any) -> int: ...

    async def executemany(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None: ...


class Database(Protocol):
    dialect: Dialect

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """A read; it sees every write that has returned."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...

    async def execute(self, sql: str, *args: Any) -> int:
        """One write statement in a transaction of its own; returns the rows it changed."""

    async def fetch_written(self, sql: str, *args: Any) -> list[Row]:
        """One write statement with RETURNING, in a transaction of its own."""

    async def run(self, statements: Sequence[Statement], *, independent: bool = False) -> Outcome:
        """All statements in one transaction, or none of them (see Statement.refuse).

        `independent`: no statement reads or changes a row another of them writes, so
        PostgreSQL may run them as one statement, in one round trip
        (state/one_statement.py)."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def checkpoint(self) -> None:
        """SQLite: the write-ahead log copied into the file and emptied. PostgreSQL: none."""

    async def close(self) -> None: ...


_PLACEHOLDER = re.compile(r"\$(\d+)")
_SQLITE_SQL: dict[str, str] = {}


def sqlite_sql(sql: str) -> str:
    """`$1` -> `?1`: SQLite's numbered parameters, so a parameter may be used twice."""
    converted = _SQLITE_SQL.get(sql)
    if converted is None:
        converted = _PLACEHOLDER.sub(r"?\1", sql)
        _SQLITE_SQL[sql] = converted
    return converted


def rows_changed(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") -> 3, 1."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def connect(url: str, *, synchronous: Synchronous = "full") -> Database:
    """ "sqlite:///relative/file.db", "sqlite:////absolute/file.db", "sqlite:///:memory:",
    or "postgresql://user@host:port/db?search_path=schema". `synchronous` is SQLite's
    (PostgreSQL's own is its server setting `synchronous_commit`)."""
    if url.startswith("sqlite:"):
        from state.sqlite import SqliteDatabase, sqlite_path

        return await SqliteDatabase.open(sqlite_path(url), synchronous)
    if url.startswith(("postgresql:", "postgres:")):
        from state.postgres import PostgresDatabase

        return await PostgresDatabase.open(url)
    raise ValueError("store URL must start with sqlite: or postgresql:")
