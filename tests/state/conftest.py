"""Every store test runs on both databases (aiogram's storage tests do the same).

PostgreSQL comes from ECITIZEN_TEST_PG; each test gets a schema of its own, dropped after.
Without PostgreSQL the postgres half skips, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from state import SqlStore, open_store
from tests.postgres import fresh_schema
from tests.state.store_support import Clock


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Backend]:
    clock = Clock()
    if request.param == "sqlite":
        found = Backend("sqlite", f"sqlite:///{tmp_path}/data/ecitizen.db", clock)
        yield found
        for store in found.opened:
            await store.close()
        return
    async with fresh_schema() as (url, _):
        found = Backend("postgres", url, clock)
        try:
            yield found
        finally:
            for store in found.opened:
                await store.close()


@pytest.fixture
async def store(backend: Backend) -> SqlStore:
    return await backend.open()


@pytest.fixture
def clock(backend: Backend) -> Clock:
    return backend.clock
