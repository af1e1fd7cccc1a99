"""Telegram: a PIN or an activation code typed into the chat is answered, and our side
keeps it in no table and no log line (Telegram's own copy of the chat is the person's)."""

from __future__ import annotations

import logging

import pytest

from tests.bot.telegram.tg_support import TelegramBot
from tests.flows.test_app_secrets import CODE, PIN, TOLD, assert_kept_nowhere


async def test_a_pin_or_code_in_telegram_is_kept_nowhere(
    bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ana = bot.person("Ана", language_code="sr")
    await ana.starts()
    assert TOLD in await ana.says(PIN)
    assert TOLD in await ana.says(f"мој код: {CODE}")
    assert_kept_nowhere(bot.app, caplog)
