"""Telegram: citizens and officers talk to the engine through python-telegram-bot."""

from bot.pacing import SendLimits
from bot.sending import RetryPolicy
from bot.telegram.channel import DEFAULT_API_URL, TELEGRAM_LIMITS, TelegramChannel
from bot.telegram.errors import (
    InvalidTelegramToken,
    TelegramSettingsError,
    TelegramStartError,
    TelegramUnreachable,
)

__all__ = [
    "DEFAULT_API_URL",
    "TELEGRAM_LIMITS",
    "InvalidTelegramToken",
    "RetryPolicy",
    "SendLimits",
    "TelegramChannel",
    "TelegramSettingsError",
    "TelegramStartError",
    "TelegramUnreachable",
]
