"""The store counts a bot's messages per time slice for every process that sends for it
(flows.engine.channel_ports.SendSlots): together they never take more than a slice allows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from state.send_slots import RING
from tests.postgres import database_url


@pytest.fixture(params=["sqlite", "postgres"])
async def three_processes(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with database_url(request.param, tmp_path) as url:
        settings = {"data": {"dir": str(tmp_path / "var"), "database": url}}
        apps: list[App] = [await build_app(parse_config(settings)) for _ in range(3)]
        yield apps
        for app in apps:
            await app.close()


async def test_processes_taking_at_once_never_take_more_than_the_slice_allows(
    three_processes: list[App],
) -> None:
    def take(app: App, slice_no: int, want: int) -> Any:
        return app.store.take_send_slots("telegram", slice_no, want, 7)

    taken = await asyncio.gather(*(take(app, 1000, 3) for app in three_processes * 2))
    assert sum(taken) == 7  # six asked for 3 each: the slice's 7, no more
    assert await take(three_processes[0], 1000, 1) == 0  # full
    assert await take(three_processes[1], 1001, 5) == 5  # the next slice is another


async def test_the_rows_come_round_and_start_over(three_processes: list[App]) -> None:
    store = three_processes[0].store
    assert await store.take_send_slots("telegram", 5, 3, 3) == 3
    assert await store.take_send_slots("telegram", 5 + RING, 2, 3) == 2  # the same row, later
    # a process whose clock is behind asks for a slice that is gone: nothing
    assert await store.take_send_slots("telegram", 5, 1, 3) == 0
    assert await store.take_send_slots("viber", 5, 3, 3) == 3  # another bot counts apart
