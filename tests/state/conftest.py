"""Every store test runs on both databases (aiogram's storage tests do the same).

PostgreSQL comes from ECITIZEN_TEST_PG; each test gets a schema of its own, dropped after.
Without PostgreSQL the postgres half skips, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

from state import SqlStore, open_store
from tests.state.store_support import Clock

PG_ENV = "ECITIZEN_TEST_PG"


@dataclass
class Backend:
    """One database for one test; `open()` gives another store on it (another process)."""

    name: str
    url: str
    clock: Clock
    opened: list[SqlStore] = field(default_factory=list)

    async def open(self) -> SqlStore:
        store = await open_store(self.url, clock=self.clock)
        self.opened.append(store)
        return store


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def _test_url(url: str, schema: str) -> str:
    """The test's own schema; commits without waiting for the disk (tests never pull the
    plug on PostgreSQL, and it halves their time)."""
    parts = urlsplit(url)
    settings = f"search_path={schema}&synchronous_commit=off"
    query = f"{parts.query}&{settings}" if parts.query else settings
    return urlunsplit(parts._replace(query=query))


async def _postgres_admin() -> tuple[str, asyncpg.Connection]:
    url = os.environ.get(PG_ENV, "")
    if not url:
        _unavailable(f"{PG_ENV} is not set")
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        _unavailable(f"cannot connect ({type(exc).__name__})")
    return url, conn


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Backend]:
    clock = Clock()
    if request.param == "sqlite":
        found = Backend("sqlite", f"sqlite:///{tmp_path}/data/ecitizen.db", clock)
        yield found
        for store in found.opened:
            await store.close()
        return
    url, admin = await _postgres_admin()
    schema = f"test_{uuid.uuid4().hex}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    found = Backend("postgres", _test_url(url, schema), clock)
    try:
        yield found
    finally:
        for store in found.opened:
            await store.close()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


@pytest.fixture
async def store(backend: Backend) -> SqlStore:
    return await backend.open()


@pytest.fixture
def clock(backend: Backend) -> Clock:
    return backend.clock
