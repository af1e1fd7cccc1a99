"""Looking for a person's data everywhere it could be: every column of every table (on
SQLite or PostgreSQL, through a connection of its own), and the bytes of files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg  # type: ignore[import-untyped]


def _hits(table: str, columns: list[str], rows: Iterable[tuple[object, ...]], needles: list[str]):
    found: set[str] = set()
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            if value is None or isinstance(value, int | float):
                continue  # instants, ids, counts: personal data is never kept as a number
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if any(needle.casefold() in text.casefold() for needle in needles):
                found.add(f"{table}.{column}")
    return found


def _sqlite_columns(path: Path, needles: list[str]) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found: set[str] = set()
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            found |= _hits(table, columns, cursor.fetchall(), needles)
        return found
    finally:
        conn.close()


async def _postgres_columns(url: str, needles: list[str]) -> set[str]:
    schema = parse_qs(urlsplit(url).query)["search_path"][0]
    conn = await asyncpg.connect(url.split("?")[0], server_settings={"search_path": schema})
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                schema,
            )
        ]
        found: set[str] = set()
        for table in tables:
            records = await conn.fetch(f'SELECT * FROM "{table}"')
            if records:
                columns = list(records[0].keys())
                found |= _hits(table, columns, [tuple(r) for r in records], needles)
        return found
    finally:
        await conn.close()


async def columns_holding(database_url: str, needles: list[str]) -> set[str]:
    """ "table.column" for every column where any of the needles (case-insensitive) is."""
    if database_url.startswith("sqlite:"):
        return _sqlite_columns(Path(database_url.removeprefix("sqlite:///")), needles)
    return await _postgres_columns(database_url, needles)


def files_holding(folder: Path, needles: list[str]) -> list[Path]:
    """Files under the folder whose bytes hold any needle (UTF-8, either case)."""
    wanted = [form.encode() for n in needles for form in {n, n.upper(), n.lower()}]
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and any(w in path.read_bytes() for w in wanted)
    ]
