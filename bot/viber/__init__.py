"""Viber: citizens and officers talk to the engine through Viber's REST bot API."""

from bot.viber.api import DEFAULT_API_URL, ViberApi
from bot.viber.channel import (
    VIBER_LIMITS,
    WEBHOOK_PATH,
    ViberChannel,
    ViberStore,
    register_webhook,
    webhook_url,
)
from bot.viber.errors import (
    InvalidViberToken,
    ViberRefused,
    ViberSettingsError,
    ViberStartError,
    ViberUnreachable,
)
from bot.viber.events import CHANNEL

__all__ = [
    "CHANNEL",
    "DEFAULT_API_URL",
    "VIBER_LIMITS",
    "WEBHOOK_PATH",
    "InvalidViberToken",
    "ViberApi",
    "ViberChannel",
    "ViberRefused",
    "ViberSettingsError",
    "ViberStartError",
    "ViberStore",
    "ViberUnreachable",
    "register_webhook",
    "webhook_url",
]
