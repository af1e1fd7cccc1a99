"""What the ConsentID app's secrets look like, so that a chat never keeps one.

The app asks for a 6-digit PIN (set by the person, asked every time the app opens) and
is activated once with a registration (activation) code printed on the credentials slip
(https://test.eid.gov.rs/en-US/install-mobile-applications). Both belong only in the app:
a chat message shaped like either is answered with that, and its text is kept nowhere.

The activation code's own format is ours (the built-in account provider issues it, see
state/accounts.py): twelve characters of an alphabet without 0/O and 1/I/L, in three
groups of four ("K7QM-2XPA-9RTD"), because it is read off paper and typed into a phone.
"""

from __future__ import annotations

import re
import unicodedata

# No 0/O, 1/I/L: the code is read off paper and typed into a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 3
CODE_GROUP_LEN = 4
PIN_DIGITS = 6

_GAP = r"[\s\-_.]?"
_CODE_CHAR = f"[{CODE_ALPHABET}]"
_CODE_GROUP = _CODE_CHAR + "{" + str(CODE_GROUP_LEN) + "}"
_CODE = re.compile(r"(?<![A-Z0-9])" + _GAP.join([_CODE_GROUP] * CODE_GROUPS) + r"(?![A-Z0-9])")
# digits grouped with spaces or dashes count as one run ("123 456"); a dot splits (a date)
_DIGIT_RUN = re.compile(r"[0-9](?:[\s\-]?[0-9])*")
MASK = "••••••"
_DECIMAL = re.compile(r"\d")  # any script's decimal digit (what _ascii turns into 0-9)


def _ascii(text: str) -> str:
    """Any script's digits as ASCII, full-width letters folded, upper case."""
    if text.isascii():  # NFKC leaves ASCII as it is, and its only digits are 0-9 already
        return text.upper()
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out).upper()


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for found in _CODE.finditer(text):
        chars = [ch for ch in found.group(0) if ch.isalnum()]
        # a code mixes letters and digits; a 12-letter word is just a word
        if any(ch.isdigit() for ch in chars) and any(ch.isalpha() for ch in chars):
            spans.append(found.span())
    return spans


def _pin_spans(text: str) -> list[tuple[int, int]]:
    """A run of exactly six digits that is the message's only number ("123 456", "my PIN
    is 123456"): a phone number, a JMBG or a date is longer, split, or comes with more."""
    runs = list(_DIGIT_RUN.finditer(text))
    if len(runs) == 1 and sum(ch.isdigit() for ch in runs[0].group(0)) == PIN_DIGITS:
        return [runs[0].span()]
    return []


def _spans(text: str) -> list[tuple[int, int]]:
    folded = _ascii(text)
    if len(folded) != len(text):  # NFKC changed the length: judge the folded text only
        return [(0, len(text))] if _code_spans(folded) or _pin_spans(folded) else []
    return sorted(_code_spans(folded) + _pin_spans(folded))


def looks_like_app_secret(text: str | None) -> bool:
    """True when the text holds something shaped like a ConsentID PIN or activation code."""
    if not text:
        return False
    if _DECIMAL.search(text) is None and unicodedata.is_normalized("NFKC", text):
        return False  # no digit, and folding makes none: neither a PIN nor a code (a name)
    return bool(_spans(text))


def mask_app_secrets(text: str) -> str:
    """The text with every PIN- or code-shaped part replaced by dots (for an echo)."""
    spans = _spans(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)
