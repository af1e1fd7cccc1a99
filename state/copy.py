"""Moving an SQLite installation to PostgreSQL (`ecitizen db copy`), every row of every table.

The tables are found in the source's schema when the copy runs, never listed here, so a
table a later migration adds is copied too. Both databases are migrated to the same schema
version first. The target must hold no data. The whole copy is one transaction on the
target: it ends with every row there, the identity sequences moved past the copied ids and
the row counts checked against the source's, or it leaves nothing. The source is read in
one transaction too (SQLite: its write lock), so what is copied is one consistent moment.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from state.db import Database, Row, Transaction, connect
from state.migrate import migrate

BATCH = 1000
VERSION_TABLE = "schema_version"  # each database keeps its own

Convert = Callable[[Any], Any]


class CopyRefused(Exception):
    """Why the copy did not start or was rolled back, in words for the operator."""


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the columns the source is paged by: its primary key, or rowid


@dataclass(frozen=True, slots=True)
class Copied:
    table: str
    source_rows: int
    target_rows: int


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def copy_database(source_url: str, target_url: str, *, batch: int = BATCH) -> list[Copied]:
    """Copies every table of the SQLite database at source_url into the empty PostgreSQL
    database at target_url; returns the row counts per table, as verified."""
    if not source_url.startswith("sqlite:"):
        raise CopyRefused("the source must be an SQLite database (a file or sqlite:///...)")
    if not target_url.startswith(("postgresql:", "postgres:")):
        raise CopyRefused("the target must be a PostgreSQL URL (postgresql://...)")
    source = await _open_source(source_url)
    try:
        target = await connect(target_url)
        try:
            await _refuse_data(target)
            versions = (await migrate(source), await migrate(target))
            if versions[0] != versions[1]:
                raise CopyRefused(
                    f"schema versions differ: source {versions[0]}, target {versions[1]};"
                    " run the same version of ecitizen on both"
                )
            return await _copy_all(source, target, batch)
        finally:
            await target.close()
    finally:
        await source.close()


async def _open_source(url: str) -> Database:
    from state.sqlite import sqlite_path

    path = sqlite_path(url)
    if not await asyncio.to_thread(Path(path).is_file):
        raise CopyRefused(f"no SQLite database at {path}")
    try:
        return await connect(url)
    except sqlite3.DatabaseError as exc:
        raise CopyRefused(f"{path} is not an SQLite database ({exc})") from None


async def _target_tables(db: Database | Transaction) -> list[str]:
    rows = await db.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        " ORDER BY table_name"
    )
    return [str(r[0]) for r in rows if r[0] != VERSION_TABLE]


async def _refuse_data(target: Database) -> None:
    """Before migrating: a database that holds rows already is somebody's data."""
    for table in await _target_tables(target):
        row = await target.fetchrow(f"SELECT count(*) FROM {quoted(table)}")
        if row is not None and row[0]:
            raise CopyRefused(
                f"the target database is not empty: table {table} holds {row[0]}"
                f" row{'' if row[0] == 1 else 's'}."
                " Copy only into a new, empty database (or schema)."
            )


async def _source_tables(src: Transaction) -> list[Table]:
    found: list[Table] = []
    names = await src.fetch(
        "SELECT name, wr FROM pragma_table_list"
        " WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
    )
    for row in names:
        name, without_rowid = str(row[0]), bool(row[1])
        if name == VERSION_TABLE:
            continue
        info = await src.fetch("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid", name)
        columns = tuple(str(c[0]) for c in info)
        primary = tuple(str(c[0]) for c in sorted((c for c in info if c[1]), key=lambda c: c[1]))
        # A rowid table pages by rowid: its primary key columns may hold NULLs in SQLite.
        found.append(Table(name, columns, primary if without_rowid else ("rowid",)))
    return found


async def _target_columns(dst: Transaction) -> dict[str, dict[str, str]]:
    """Table -> column -> PostgreSQL type name (int8, text, bool, ...)."""
    rows = await dst.fetch(
        "SELECT table_name, column_name, udt_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(str(row[0]), {})[str(row[1])] = str(row[2])
    return found


async def _target_references(dst: Transaction) -> dict[str, set[str]]:
    """Table -> the tables its foreign keys point at (itself left out)."""
    rows = await dst.fetch(
        "SELECT c.relname, r.relname FROM pg_constraint k"
        " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid"
        " WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        table, referenced = str(row[0]), str(row[1])
        if table != referenced:
            found.setdefault(table, set()).add(referenced)
    return found


def in_dependency_order(tables: Sequence[Table], references: dict[str, set[str]]) -> list[Table]:
    """Every table after the tables it references (registrations before registration_links)."""
    waiting = sorted(tables, key=lambda t: t.name)
    placed: list[Table] = []
    done: set[str] = set()
    while waiting:
        ready = [t for t in waiting if references.get(t.name, set()) <= done]
        if not ready:
            names = ", ".join(t.name for t in waiting)
            raise CopyRefused(f"these tables reference each other in a cycle: {names}")
        placed += ready
        done |= {t.name for t in ready}
        waiting = [t for t in waiting if t.name not in done]
    return placed


def _as_text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else str(value)


def _as_bytes(value: Any) -> Any:
    return value.encode() if isinstance(value, str) else bytes(value)


# What asyncpg takes for each PostgreSQL type, from what SQLite gives (it keeps flags as
# 0/1 and may hand back a number where the column's type is text).
_CONVERT: dict[str, Convert] = {
    "int2": int,
    "int4": int,
    "int8": int,
    "float4": float,
    "float8": float,
    "numeric": lambda v: Decimal(str(v)),
    "bool": bool,
    "text": _as_text,
    "varchar": _as_text,
    "bpchar": _as_text,
    "json": _as_text,
    "jsonb": _as_text,
    "bytea": _as_bytes,
}


def _converters(table: Table, target: dict[str, dict[str, str]]) -> list[Convert | None]:
    columns = target.get(table.name)
    if columns is None:
        raise CopyRefused(f"table {table.name} of the source is not in the target's schema")
    missing = [c for c in table.columns if c not in columns]
    if missing:
        raise CopyRefused(f"table {table.name}: the target has no column {', '.join(missing)}")
    return [_CONVERT.get(columns[c]) for c in table.columns]


async def _count(tx: Transaction, table: str) -> int:
    (row,) = await tx.fetch(f"SELECT count(*) FROM {quoted(table)}")
    return int(row[0])


async def _copy_table(
    src: Transaction, dst: Transaction, table: Table, convert: list[Convert | None], batch: int
) -> None:
    """Pages through the source by its key (keyset, so each page costs the same) and inserts
    each page with one executemany."""
    extra = () if table.key[0] in table.columns else table.key  # rowid is not a column
    selected = ", ".join(quoted(c) if c != "rowid" else c for c in (*table.columns, *extra))
    positions = [(*table.columns, *extra).index(k) for k in table.key]
    keys = ", ".join(k if k == "rowid" else quoted(k) for k in table.key)
    params = ", ".join(f"${i + 1}" for i in range(len(table.key)))
    first = f"SELECT {selected} FROM {quoted(table.name)} ORDER BY {keys} LIMIT {batch}"
    following = (
        f"SELECT {selected} FROM {quoted(table.name)} WHERE ({keys}) > ({params})"
        f" ORDER BY {keys} LIMIT {batch}"
    )
    names = ", ".join(quoted(c) for c in table.columns)
    values = ", ".join(f"${i + 1}" for i in range(len(table.columns)))
    insert = f"INSERT INTO {quoted(table.name)} ({names}) OVERRIDING SYSTEM VALUE VALUES ({values})"
    width = len(table.columns)
    rows: list[Row] = await src.fetch(first)
    while rows:
        await dst.executemany(insert, [_converted(r, convert, width) for r in rows])
        if len(rows) < batch:
            break
        last = rows[-1]
        rows = await src.fetch(following, *(last[p] for p in positions))


def _converted(row: Row, convert: list[Convert | None], width: int) -> tuple[Any, ...]:
    out = []
    for i in range(width):
        value, conv = row[i], convert[i]
        out.append(value if value is None or conv is None else conv(value))
    return tuple(out)


async def _reset_identities(dst: Transaction, tables: Sequence[Table]) -> None:
    """Each identity (or serial) sequence goes to max(id) + 1: new rows take new ids."""
    rows = await dst.fetch(
        "SELECT table_name, column_name,"
        " pg_get_serial_sequence(quote_ident(table_name), column_name)"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    copied = {t.name for t in tables}
    for row in rows:
        table, column, sequence = str(row[0]), str(row[1]), row[2]
        if sequence is None or table not in copied:
            continue
        await dst.execute(
            f"SELECT setval($1, COALESCE((SELECT max({quoted(column)}) FROM {quoted(table)}),"
            " 0) + 1, false)",
            sequence,
        )


async def _copy_all(source: Database, target: Database, batch: int) -> list[Copied]:
    copied: list[Copied] = []
    async with source.transaction() as src, target.transaction() as dst:
        references = await _target_references(dst)
        tables = in_dependency_order(await _source_tables(src), references)
        columns = await _target_columns(dst)
        converters = {t.name: _converters(t, columns) for t in tables}
        everything = ", ".join(quoted(t) for t in await _target_tables(dst))
        await dst.execute(f"LOCK TABLE {everything} IN ACCESS EXCLUSIVE MODE")
        for table in reversed(tables):  # rows a migration put there: the source has its own
            if await _count(dst, table.name):
                await dst.execute(f"DELETE FROM {quoted(table.name)}")
        for table in tables:
            await _copy_table(src, dst, table, converters[table.name], batch)
        await _reset_identities(dst, tables)
        for table in tables:
            source_rows, target_rows = await _count(src, table.name), await _count(dst, table.name)
            counted = Copied(table.name, source_rows, target_rows)
            if counted.source_rows != counted.target_rows:
                raise CopyRefused(
                    f"table {table.name}: {counted.source_rows} rows in the source but"
                    f" {counted.target_rows} in the target; nothing was copied"
                )
            copied.append(counted)
    return copied
