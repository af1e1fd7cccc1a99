"""Telegram polling: of two processes told to poll, exactly one polls; the other says why,
serves the rest, and takes over when the poller dies. Real channels (python-telegram-bot)
against the fake Bot API server; two apps on one database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.telegram import TelegramChannel
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from ecitizen.polling import POLLING_LEASE, PollingLease
from tests.bot.telegram.tg_support import QUICK, QUICK_RETRY
from tests.fakes.bot_api_server import FakeBotApi
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL
LEASE_S = 0.6  # asked for and renewed every 0.2 s of real time; expiry is on the test clock


@dataclass
class Process:
    app: App
    telegram: TelegramChannel
    polling: PollingLease


@pytest.fixture
async def two_processes(
    backend: state_fixtures.Backend, tmp_path: Path
) -> AsyncIterator[tuple[FakeBotApi, list[Process]]]:
    async with FakeBotApi() as api:
        processes: list[Process] = []
        for n in range(2):
            config = parse_config(
                {"data": {"dir": str(tmp_path / f"var{n}"), "database": backend.url}}
            )
            app = await build_app(config, clock=backend.clock)
            telegram = TelegramChannel(
                app, api.token, api_url=api.url, limits=QUICK, retry=QUICK_RETRY, poll_timeout_s=5
            )
            app.add_delivery("telegram", telegram.delivery)
            await telegram.start(poll=False)
            processes.append(Process(app, telegram, PollingLease(app.store, telegram, LEASE_S)))
        yield api, processes
        for process in processes:
            await process.polling.stop()
            await process.telegram.stop()
            await process.app.close()


def conflicts(api: FakeBotApi) -> int:
    return sum(status == 409 for _, status, _ in api.refused)


async def test_only_one_process_polls_the_other_says_why_and_takes_over_when_it_dies(
    two_processes: tuple[FakeBotApi, list[Process]],
    backend: state_fixtures.Backend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="ecitizen.polling")
    api, (first, second) = two_processes
    first.polling.start()

    async def first_polls() -> bool:
        return first.polling.polling and api.calls["getUpdates"] > 0

    await eventually(first_polls, "the first process polls")
    second.polling.start()

    async def second_said_why() -> bool:
        return "does not poll" in caplog.text

    await eventually(second_said_why, "the second process says why it does not poll")
    [why] = [r for r in caplog.records if "does not poll" in r.getMessage()]
    assert why.levelname == "WARNING"
    assert "one poller per bot" in why.getMessage() and first.app.store.owner in why.getMessage()
    assert not second.polling.polling

    ana = api.user("Ана", language_code="en")
    await ana.start()
    assert (await ana.next_message(wait_s=30)).text  # answered by the process that polls
    assert conflicts(api) == 0  # never two getUpdates at once

    # The polling process dies: no more polling, its lease is not renewed.
    assert first.polling.task is not None
    first.polling.task.cancel()
    await first.telegram.stop()
    backend.clock.advance(timedelta(seconds=LEASE_S + 1))

    async def second_polls() -> bool:
        return second.polling.polling

    await eventually(second_polls, "the second process takes polling over")
    holder = await second.app.store.lease_holder(POLLING_LEASE)
    assert holder is not None and holder[0] == second.app.store.owner
    bob = api.user("Боб", language_code="en")
    await bob.start()
    assert (await bob.next_message(wait_s=30)).text  # answered by the second process


async def test_a_process_that_stops_hands_polling_over_at_once(
    two_processes: tuple[FakeBotApi, list[Process]],
) -> None:
    api, (first, second) = two_processes
    first.polling.start()

    async def first_polls() -> bool:
        return first.polling.polling

    await eventually(first_polls, "the first process polls")
    second.polling.start()
    await first.polling.stop()  # a graceful stop releases the lease: no waiting for expiry

    async def second_polls() -> bool:
        return second.polling.polling

    await eventually(second_polls, "the second process polls")
    ana = api.user("Ана", language_code="en")
    await ana.start()
    assert (await ana.next_message(wait_s=30)).text
