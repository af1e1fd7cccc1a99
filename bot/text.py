"""Long texts cut into messages a messenger accepts, on natural boundaries.

Texts are cut on paragraph, then line, then word boundaries; only a single word longer
than the limit is cut inside. Each channel passes its messenger's limit and the way it
counts length (both Telegram and Viber are counted here in UTF-16 code units: the unit
Telegram documents, and never fewer than the characters Viber counts).
"""

from __future__ import annotations

from collections.abc import Callable

_SEPARATORS = ("\n\n", "\n", " ")

Length = Callable[[str], int]


def utf16_length(text: str) -> int:
    """UTF-16 code units: an emoji outside the basic plane counts two."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, length: Length = utf16_length) -> list[str]:
    """Plain text cut into pieces of at most `limit` (as `length` counts), none blank."""
    if length(text) <= limit:
        return [text] if text.strip() else []
    return [piece for piece in _split(text, limit, 0, length) if piece.strip()]


def _split(text: str, limit: int, level: int, length: Length) -> list[str]:
    if length(text) <= limit:
        return [text]
    if level == len(_SEPARATORS):
        return _cut_word(text, limit, length)
    sep = _SEPARATORS[level]
    pieces: list[str] = []
    current = ""
    for part in text.split(sep):
        candidate = f"{current}{sep}{part}" if current else part
        if length(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if length(part) <= limit:
            current = part
        else:
            *done, current = _split(part, limit, level + 1, length)
            pieces.extend(done)
    if current:
        pieces.append(current)
    return pieces


def _cut_word(text: str, limit: int, length: Length) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        cost = length(char)
        if size + cost > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += cost
    pieces.append("".join(current))
    return pieces
