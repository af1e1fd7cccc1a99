"""Message text for Telegram: HTML-escaped, cut to Telegram's length limits.

Telegram counts a message's length in UTF-16 code units after parsing the HTML, at most
4,096 for a message and 1,024 for a photo caption. Our text is escaped as a whole and gets
no markup, so what Telegram counts is the plain text's length. Texts are cut on paragraph,
then line, then word boundaries; only a single word longer than the limit is cut inside.
"""

from __future__ import annotations

import html

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_SEPARATORS = ("\n\n", "\n", " ")


def escape(text: str) -> str:
    """Text safe inside a parse_mode=HTML message: every <, > and & becomes an entity."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text cut into pieces Telegram accepts (before escaping), none blank."""
    if telegram_length(text) <= limit:
        return [text] if text.strip() else []
    return [piece for piece in _split(text, limit, 0) if piece.strip()]


def _split(text: str, limit: int, level: int) -> list[str]:
    if telegram_length(text) <= limit:
        return [text]
    if level == len(_SEPARATORS):
        return _cut_word(text, limit)
    sep = _SEPARATORS[level]
    pieces: list[str] = []
    current = ""
    for part in text.split(sep):
        candidate = f"{current}{sep}{part}" if current else part
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if telegram_length(part) <= limit:
            current = part
        else:
            *done, current = _split(part, limit, level + 1)
            pieces.extend(done)
    if current:
        pieces.append(current)
    return pieces


def _cut_word(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for char in text:
        cost = telegram_length(char)
        if length + cost > limit:
            pieces.append("".join(current))
            current, length = [], 0
        current.append(char)
        length += cost
    pieces.append("".join(current))
    return pieces
