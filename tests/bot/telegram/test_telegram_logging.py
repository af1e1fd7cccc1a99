"""With `[logging] level = "DEBUG"`, a whole registration in Telegram, an approval with its
credentials slip, a rejection with a reason typed by the officer, the notifications and
the purge leave no personal data, code or token in any log line (issue 10)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from ecitizen import logs, retention
from ecitizen.config import LoggingSettings
from flows.engine.records import PrintStatus
from tests.bot.telegram.test_telegram_dialogue import enrolls, registers
from tests.bot.telegram.tg_support import TelegramBot
from tests.conftest import Clock
from tests.flows.test_officer_dialogue import invite

PERSONAL = (
    "0512981717776",
    "012345678",
    "641234567",
    "64 123",
    "Петровић",
    "ПЕТРОВИЋ",
    "Ана-Марија",
    "ана-марија",
    "ana.marija",
    "Petrovi",
)


async def printed(bot: TelegramBot, slip: str) -> bool:
    for _ in range(200):
        jobs = [j for j in await bot.app.store.print_jobs() if j.slip == slip]
        if jobs and all(j.status is PrintStatus.PRINTED for j in jobs):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every logger of the process, at DEBUG, through the product's own configuration."""
    lines = io.StringIO()
    levels = {name: logging.getLogger(name).level for name in ["", *logs.LIBRARY_FLOORS]}
    handler = logs.configure(LoggingSettings(level="DEBUG"), logging.StreamHandler(lines))
    yield lines
    logging.getLogger().removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_at_debug_no_log_line_holds_personal_data(
    bot: TelegramBot, clock: Clock, debug_log: io.StringIO
) -> None:
    ana = bot.person("Ана", phone="381641234567")
    bob = bot.person("Бобан", phone="381641234567")
    approved = await registers(ana)
    rejected = await registers(bob)
    code = await invite(bot.app, "Мира")
    mira = await enrolls(bot, "Мира")
    await mira.presses("Отвори по шифри")
    assert "0512981717776" in await mira.says(approved)  # shown to her, never logged
    await mira.presses("Одобри")
    assert "одобрена" in await mira.presses("Да")
    await mira.presses("Отвори по шифри")
    await mira.says(rejected)
    await mira.presses("Одбиј")
    await mira.presses("други разлог")
    typed = "ЈМБГ 0512981717776 и лична карта 012345678 се не слажу (Петровић)."
    assert "одбијена" in await mira.says(typed)
    assert await printed(bot, "credentials")  # by the running print worker
    while await bot.app.outbox.run_once():
        pass
    await ana.user.next_message()  # the approval reached her
    clock.advance(days=40)
    report = await retention.purge(bot.app)
    assert report.erased == 2

    logged = debug_log.getvalue()
    assert " DEBUG " in logged and len(logged.splitlines()) > 30  # DEBUG was really on
    for value in (*PERSONAL, code, code.replace("-", ""), bot.api.token):
        assert value not in logged, value
