"""Telegram after the approval: the news leads into the ConsentID guide; a PIN or an
activation code typed into the chat is answered, and our side keeps it in no table and no
log line (Telegram's own copy of the chat is the person's)."""

from __future__ import annotations

import logging

import pytest

from tests.bot.telegram.test_telegram_dialogue import enrolls, registers
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


async def test_the_approval_news_in_telegram_leads_into_the_consentid_guide(
    bot: TelegramBot,
) -> None:
    ana = bot.person("Ана", phone="381641234567")
    ref = await registers(ana)
    mira = await enrolls(bot, "Мира")
    await mira.presses("Пријаве на чекању")
    await mira.presses(ref)
    await mira.presses("Одобри")
    await mira.presses("Да")
    news = await ana.user.next_message()
    assert "Подеси ConsentID сада" in news.buttons
    assert "Какав телефон имате?" in await ana.presses("Подеси ConsentID сада")
    assert "корак 1 од 6 (инсталација)" in await ana.presses("Android")
    assert "корак 2 од 6" in await ana.presses("Урађено ✓")
