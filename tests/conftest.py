"""Fixtures shared by every suite: a whole app on a temporary SQLite file, and a clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from tests.dialogue import Chat

# Monday 30 November 2026, 08:00 in Kragujevac (07:00 UTC): the halls open at 08:00.
START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock) -> Callable[..., Any]:
    async def make(**settings: Any) -> App:
        raw: dict[str, Any] = {"data": {"dir": str(tmp_path / "var")}}
        for section, values in settings.items():
            raw.setdefault(section, {}).update(values)
        return await build_app(parse_config(raw), clock=clock)

    return make


@pytest.fixture
async def app(make_app: Callable[..., Any]) -> AsyncIterator[App]:
    the_app: App = await make_app()
    yield the_app
    await the_app.close()


@pytest.fixture
def chat(app: App) -> Callable[..., Chat]:
    def make(user: str = "ana", channel: str = "terminal") -> Chat:
        return Chat(app, user, channel)

    return make
