"""Telegram: citizens and officers talk to the engine through python-telegram-bot."""

from bot.telegram.channel import DEFAULT_API_URL, ConversationEngine, TelegramChannel
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.errors import (
    InvalidTelegramToken,
    TelegramSettingsError,
    TelegramStartError,
    TelegramUnreachable,
)
from bot.telegram.limiter import SendLimits
from bot.telegram.sender import RetryPolicy

__all__ = [
    "DEFAULT_API_URL",
    "ConversationEngine",
    "InvalidTelegramToken",
    "RetryPolicy",
    "SendLimits",
    "TelegramChannel",
    "TelegramDelivery",
    "TelegramSettingsError",
    "TelegramStartError",
    "TelegramUnreachable",
]
