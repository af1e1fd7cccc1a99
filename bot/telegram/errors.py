"""Why the Telegram bot could not start, in words an operator can act on."""

from __future__ import annotations


class TelegramStartError(Exception):
    """The bot could not start; the message says why and what to do."""


class InvalidTelegramToken(TelegramStartError):
    """Telegram refused the bot token (getMe answered 401 or 404)."""


class TelegramUnreachable(TelegramStartError):
    """The Bot API server did not answer getMe."""


class TelegramSettingsError(TelegramStartError, ValueError):
    """The [telegram] settings contradict each other or are malformed."""
