"""Numbered migrations (state/migrations/NNNN_name.sql), applied in order, each once.

`schema_version` holds the number of the last one applied. Each migration runs in the
same transaction as the version bump, so a failed one leaves the schema as it was.

A statement ends with a ";" at the end of a line, except inside a body: between "$$"
quotes (a PostgreSQL function) or from a line ending in BEGIN to a line "END;" (a SQLite
trigger), whose own statements end with ";" too.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from state.db import Database, Dialect

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_ONLY = re.compile(r"--\s*only:\s*(sqlite|postgres)\s*$")
_COMMENT = re.compile(r"--.*$")
_BODY_BEGINS = re.compile(r"\bBEGIN$")
# Any constant will do: it only keeps two processes from migrating at the same time.
_MIGRATION_LOCK = 0x65C17123


def for_dialect(text: str, dialect: Dialect) -> list[str]:
    """The statements of a migration for one database, comments removed."""
    lines: list[str] = []
    for line in text.splitlines():
        only = _ONLY.search(line)
        if only is not None and only.group(1) != dialect:
            continue
        lines.append(_COMMENT.sub("", line).rstrip())
    return _statements(lines)


def _statements(lines: list[str]) -> list[str]:
    statements: list[str] = []
    current: list[str] = []
    quoted = in_body = False
    for line in lines:
        current.append(line)
        if line.count("$$") % 2:
            quoted = not quoted
        word = line.strip().upper()
        if quoted:
            continue
        if _BODY_BEGINS.search(word):
            in_body = True
        elif word.endswith(";") and (not in_body or word == "END;"):
            in_body = False
            statements.append("\n".join(current).strip().removesuffix(";").strip())
            current = []
    rest = "\n".join(current).strip()
    if rest:
        statements.append(rest)
    return [st for st in statements if st]


def _read_migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for path in MIGRATIONS.iterdir():
        match = _NAME.match(path.name)
        if match is not None:
            found.append((int(match.group(1)), path.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps: {numbers}")
    return found


async def migrate(db: Database) -> int:
    """Apply what is pending; returns the schema version. Safe to call at every start."""
    migrations = await asyncio.to_thread(_read_migrations)
    async with db.transaction() as tx:
        if db.dialect == "postgres":
            await tx.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        rows = await tx.fetch("SELECT version FROM schema_version")
        if not rows:
            await tx.execute("INSERT INTO schema_version (version) VALUES (0)")
        current = int(rows[0][0]) if rows else 0
        for number, text in migrations:
            if number <= current:
                continue
            for statement in for_dialect(text, db.dialect):
                await tx.execute(statement)
            current = number
        await tx.execute("UPDATE schema_version SET version = $1", current)
    return current
