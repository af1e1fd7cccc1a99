"""Fixtures for the printing tests: a fake network printer on a real socket, the real
SQLite store on the shared test clock, and the built-in account provider on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from state import SqlStore, open_store
from state.accounts import BuiltinAccountProvider
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.kiosk.fixtures import printer_states, slip_hall

__all__ = ["printer_states", "slip_hall"]  # the samples are compared with a kiosk's real slip


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ecitizen.db"


@pytest.fixture
async def store(db_path: Path, clock: Callable[[], datetime]) -> AsyncIterator[SqlStore]:
    s = await open_store(f"sqlite:///{db_path}", clock=clock)
    yield s
    await s.close()


@pytest.fixture
def accounts(store: SqlStore, clock: Callable[[], datetime]) -> BuiltinAccountProvider:
    return BuiltinAccountProvider(store, clock=clock)


@pytest.fixture
def printer() -> Iterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter().start()
    yield fake
    fake.stop()
