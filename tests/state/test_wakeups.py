"""Wake-ups between processes: a notice reaches every listener of its channel, in any
process on the database, and a listener whose connection was cut is told it may have
missed some."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from state import open_store
from state.wakeups import PostgresWakeups
from tests.postgres import fresh_schema
from tests.state.conftest import Backend
from tests.state.store_support import Clock


class Heard:
    """What a listener was told, and a way to wait for the next of it."""

    def __init__(self) -> None:
        self.payloads: list[str | None] = []
        self._changed = asyncio.Event()

    def __call__(self, payload: str | None) -> None:
        self.payloads.append(payload)
        self._changed.set()

    async def until(self, count: int) -> list[str | None]:
        async with asyncio.timeout(30):
            while len(self.payloads) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.payloads


async def test_a_notice_reaches_the_channels_listeners_in_every_process(
    backend: Backend,
) -> None:
    sender, receiver = await backend.open(), await backend.open()
    hall, mail, mine = Heard(), Heard(), Heard()
    await receiver.wakeups.listen("hall", hall)
    await receiver.wakeups.listen("mailbox", mail)
    await sender.wakeups.listen("hall", mine)
    await sender.wakeups.notify("hall", "kg")
    await sender.wakeups.notify("mailbox", "tok1")
    await sender.wakeups.notify("hall", "ni")
    assert await hall.until(2) == ["kg", "ni"]
    assert await mine.until(2) == ["kg", "ni"]  # the sender's own listeners too
    assert await mail.until(1) == ["tok1"]


async def test_a_listener_that_stopped_hears_nothing_more(backend: Backend) -> None:
    store = await backend.open()
    stopped, going = Heard(), Heard()
    stop = await store.wakeups.listen("hall", stopped)
    await store.wakeups.listen("hall", going)
    await store.wakeups.notify("hall", "kg")
    await going.until(1)
    stop()
    await store.wakeups.notify("hall", "ni")
    await going.until(2)
    assert stopped.payloads == ["kg"]


async def test_other_databases_do_not_wake_each_other(backend: Backend, tmp_path: Path) -> None:
    store = await backend.open()
    heard = Heard()
    await store.wakeups.listen("hall", heard)
    async with another_database(backend, tmp_path) as url:
        other = await open_store(url)
        try:
            await other.wakeups.notify("hall", "elsewhere")
            await store.wakeups.notify("hall", "here")
            assert await heard.until(1) == ["here"]
            await other.wakeups.notify("hall", "elsewhere")  # the last: nothing after it
            await store.wakeups.notify("hall", "again")
            assert await heard.until(2) == ["here", "again"]
        finally:
            await other.close()


@asynccontextmanager
async def another_database(backend: Backend, tmp_path: Path) -> AsyncIterator[str]:
    """Another SQLite file, or another schema of the same PostgreSQL database."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path}/other/ecitizen.db"
    else:
        async with fresh_schema() as (url, _):
            yield url


@pytest.fixture
async def postgres() -> AsyncIterator[Backend]:
    """The PostgreSQL half only, for what exists on PostgreSQL alone."""
    async with fresh_schema() as (url, _):
        found = Backend("postgres", url, Clock())
        yield found
        for store in found.opened:
            await store.close()


@pytest.mark.postgres
async def test_a_listener_cut_off_is_told_it_may_have_missed_notices(postgres: Backend) -> None:
    store, sender = await postgres.open(), await postgres.open()
    heard = Heard()
    await store.wakeups.listen("mailbox", heard)
    wakeups = store.wakeups
    assert isinstance(wakeups, PostgresWakeups) and wakeups.listener_pid is not None
    admin = await asyncpg.connect(postgres.url.split("?")[0])
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", wakeups.listener_pid)
    finally:
        await admin.close()
    assert await heard.until(1) == [None]  # back, and told to look again
    await sender.wakeups.notify("mailbox", "tok1")
    assert await heard.until(2) == [None, "tok1"]
