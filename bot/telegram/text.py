"""Message text for Telegram: HTML-escaped, cut to Telegram's length limits.

Telegram counts a message's length in UTF-16 code units after parsing the HTML, at most
4,096 for a message and 1,024 for a photo caption. Our text is escaped as a whole and gets
no markup, so what Telegram counts is the plain text's length. The cutting itself is
shared with the other channels (bot/text.py).
"""

from __future__ import annotations

import html

from bot.text import utf16_length

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def escape(text: str) -> str:
    """Text safe inside a parse_mode=HTML message: every <, > and & becomes an entity."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return utf16_length(text)
