"""Bounding free text, and the refusal every validator in flows.domain answers with.

Every parser in flows.domain returns either the cleaned value or an `Invalid` whose `reason`
is a short snake_case code listed in its module's REASONS; the engine shows the message
"invalid.<field>.<reason>". An `Invalid` carries only limits, examples and counts for the
message placeholders ("you typed 15 digits"), never what the person typed, so it is safe to
log.

What `clean_input` does with invisible and control characters, and why:
- removed silently: zero-width space U+200B, word joiner U+2060, byte-order mark U+FEFF,
  soft hyphen U+00AD, Mongolian vowel separator U+180E, and the direction marks
  U+200E/U+200F/U+061C. They are invisible, carry no meaning in a form answer, and phone
  keyboards and copy-paste insert them unasked.
- kept: zero-width joiner and non-joiner (U+200D, U+200C), which shape emoji sequences
  and some scripts.
- refused as "control": C0/C1 control characters (tab and newline included unless the
  input is multiline), lone surrogates, line/paragraph separators, and the bidirectional
  embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make stored
  text display differently from what it is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

REASONS: tuple[str, ...] = ("empty", "too_long", "control")


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why an answer was refused: a stable code plus values for the message placeholders."""

    reason: str
    values: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


_REMOVED = frozenset("\u200b\u2060\ufeff\u00ad\u180e\u200e\u200f\u061c")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\u2028\u2029\u0085")


def strip_invisible(text: str) -> str:
    """Drop the invisible characters that carry no meaning in an answer (see module doc)."""
    if not any(ch in _REMOVED for ch in text):
        return text
    return "".join(ch for ch in text if ch not in _REMOVED)


def is_refused_control(ch: str, *, multiline: bool = False) -> bool:
    if ch == "\n":
        return not multiline
    if ch in _BIDI_CONTROLS or ch in _LINE_BREAKS:
        return True
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs")


def clean_input(raw: str, max_len: int | None, *, multiline: bool = False) -> str | Invalid:
    """Free text made safe to keep and show: NFC, trimmed, bounded, no control characters.

    With multiline=True, line breaks inside the text are kept (CR LF and CR become LF).
    `max_len` counts code points after cleaning; None leaves the length to the field's own
    rule (the JMBG has 13 digits), so the refusal can say that rule instead of a bound.
    """
    if max_len is not None and max_len < 1:
        raise ValueError("max_len must be at least 1")
    text = unicodedata.normalize("NFC", strip_invisible(raw))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if not text:
        return Invalid("empty")
    if any(is_refused_control(ch, multiline=multiline) for ch in text):
        return Invalid("control")
    if max_len is not None and len(text) > max_len:
        return Invalid("too_long", (("max", str(max_len)), ("typed", str(len(text)))))
    return text


def compact(raw: str) -> str:
    """A typed number without its spaces and invisible marks, any script's digits as ASCII.

    Used for numbers people type in groups ("0512 981 71777 6") or on a keyboard that
    gives full-width or Arabic-Indic digits.
    """
    out: list[str] = []
    for ch in raw:
        if ch.isspace() or unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
