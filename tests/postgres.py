"""PostgreSQL for tests: ECITIZEN_TEST_PG, a schema of the test's own, dropped after.

Without PostgreSQL a test that needs it skips, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

PG_ENV = "ECITIZEN_TEST_PG"


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def schema_url(url: str, schema: str) -> str:
    """The test's own schema; commits without waiting for the disk (tests never pull the
    plug on PostgreSQL, and it halves their time)."""
    parts = urlsplit(url)
    settings = f"search_path={schema}&synchronous_commit=off"
    query = f"{parts.query}&{settings}" if parts.query else settings
    return urlunsplit(parts._replace(query=query))


async def postgres_admin() -> tuple[str, asyncpg.Connection]:
    url = os.environ.get(PG_ENV, "")
    if not url:
        unavailable(f"{PG_ENV} is not set")
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        unavailable(f"cannot connect ({type(exc).__name__})")
    return url, conn


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[tuple[str, str]]:
    """(url with search_path set to a new empty schema, the schema's name)."""
    url, admin = await postgres_admin()
    schema = f"test_{uuid.uuid4().hex}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(url, schema), schema
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


@asynccontextmanager
async def postgres_url() -> AsyncIterator[str]:
    """Only the URL of a fresh schema (see fresh_schema)."""
    async with fresh_schema() as (url, _):
        yield url


@asynccontextmanager
async def database_url(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A database for servers a test starts: an SQLite file under `tmp`, or a fresh
    PostgreSQL schema (kind "postgres")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'var' / 'ecitizen.db'}"
        return
    async with fresh_schema() as (url, _):
        yield url
