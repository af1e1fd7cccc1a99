"""Logging as the operator sets it (`[logging] level`), with nothing personal in any line.

Our own code never logs personal data, codes or tokens, at any level (tested with DEBUG on
through a whole registration, approval, rejection and purge). Libraries that log what
passes through them stay at INFO or above whatever the setting: python-telegram-bot (the
updates, with what people typed), httpx (request URLs, which hold the bot's token), the
database drivers (SQL parameters). As a last guard every line is masked where it shows
a run of digits as long as a JMBG, an ID card number or a phone number.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from ecitizen.config import LoggingSettings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROCESS_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
# The lowest level each library may log at: what it logs below that holds message contents.
LIBRARY_FLOORS: dict[str, int] = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "aiohttp.access": logging.WARNING,
    "aiohttp.client": logging.INFO,
    "transitions": logging.WARNING,
    "PIL": logging.INFO,
    "escpos": logging.INFO,
}
# A JMBG, an ID card or phone number: 8 digits or more in a row, or a phone as people
# write it ("064 123 4567", "+381 64 1234567").
_NUMBERS = re.compile(
    r"(?<!\w)(?:\+?\d{8,}|(?:\+381[ /-]?|0)\d{1,2}[ /-]?\d{3}[ /-]?\d{3,4})(?!\w)"
)
MASK = "[number]"


def mask(text: str) -> str:
    return _NUMBERS.sub(MASK, text)


class MaskingFormatter(logging.Formatter):
    """The message and any traceback masked (the time stamp is ours: left as it is)."""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text  # another handler may have formatted the traceback
        record.exc_text = mask(cached) if cached else cached
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = mask(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return mask(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return mask(super().formatStack(stack_info))


def configure(
    settings: LoggingSettings,
    handler: logging.Handler | None = None,
    *,
    with_process: bool = False,
) -> logging.Handler:
    """Our level for everything, each library no lower than its floor. Without a handler,
    stderr replaces whatever was there (importing python-escpos calls basicConfig).
    with_process names the process on each line (the server's workers)."""
    level = logging.getLevelName(settings.level.upper())
    root = logging.getLogger()
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        for old in root.handlers[:]:
            root.removeHandler(old)
    handler.setFormatter(MaskingFormatter(PROCESS_FORMAT if with_process else FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(level, floor))
    return handler
