"""Registration reference codes: eight characters shown as XXXX-XXXX, the last a check.

The alphabet has 31 characters: the digits 2-9 and the capitals A-Z without I, L and O, so
nothing in it reads as 0 or 1 or as another of its own characters. Seven random characters
(31**7, about 2.75e10 codes) are followed by a check character chosen so that

    sum((i + 1) * value(c_i) for i in 0..7) % 31 == 0

Because 31 is prime and the weights 1..8 are distinct and non-zero modulo 31, a single
wrong character anywhere changes the sum by weight * difference, which is never a multiple
of 31, and swapping any two different characters changes it by (weight difference) *
(value difference), never a multiple of 31 either. So every single substitution and every
transposition, adjacent or not, is detected.

What parse_ref forgives: lower case, spaces, missing or extra hyphens (and dashes, dots,
underscores) between characters, full-width forms, and the Cyrillic letters that look like
Latin ones (А В Е Ј К М Н Р С Т Х У -> A B E J K M H P C T X Y, as typed on a Serbian
Cyrillic keyboard). What it does not guess: 0, O, 1, I and L never occur in a reference,
so a code containing one is refused as "format" rather than rewritten, since each could
stand for more than one character (O for D or Q, 1 for J or T).
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata

from flows.domain.textinput import Invalid, strip_invisible

REASONS: tuple[str, ...] = (
    "length",  # not eight letters and digits
    "format",  # eight characters, not all of the alphabet
    "check",  # eight good characters, but one is mistyped (the check does not add up)
)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 31, a prime: the check relies on it
LENGTH = 8  # seven random characters and the check character
GROUP = 4  # shown as two groups of four
EXAMPLE = "K7M4-PX9N"  # a valid code, for messages that show what a reference looks like

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "Ј": "J",
        "К": "K",
        "М": "M",
        "Н": "H",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
    }
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.·]+")


def _weighted_sum(chars: str) -> int:
    return sum((i + 1) * _VALUE[ch] for i, ch in enumerate(chars)) % BASE


def check_char(payload: str) -> str:
    """The character that completes seven alphabet characters into a valid code."""
    if len(payload) != LENGTH - 1 or any(ch not in _VALUE for ch in payload):
        raise ValueError("payload must be seven characters of the alphabet")
    # Solve weighted_sum(payload) + LENGTH * v == 0 (mod BASE) for v.
    value = (-_weighted_sum(payload) * pow(LENGTH, -1, BASE)) % BASE
    return ALPHABET[value]


def display(compact: str) -> str:
    return f"{compact[:GROUP]}-{compact[GROUP:]}"


def new_ref(rand: random.Random | None = None) -> str:
    """A fresh reference in display form, e.g. "K7M4-PX9N" (secrets unless rand is given)."""
    # one draw for the whole code: seven separate draws cost seven system calls
    number = (
        rand.randrange(BASE ** (LENGTH - 1)) if rand else secrets.randbelow(BASE ** (LENGTH - 1))
    )
    digits = []
    for _ in range(LENGTH - 1):
        number, digit = divmod(number, BASE)
        digits.append(ALPHABET[digit])
    payload = "".join(digits)
    return display(payload + check_char(payload))


def parse_ref(raw: str) -> str | Invalid:
    """A typed reference in display form "XXXX-XXXX", or why it is refused."""
    text = unicodedata.normalize("NFKC", strip_invisible(raw)).upper().translate(_LOOKALIKES)
    chars = _SEPARATORS.sub("", text)
    typed = sum(ch.isalnum() for ch in chars)  # stray punctuation is a wrong character
    if typed != LENGTH:
        return Invalid("length", (("example", EXAMPLE), ("typed", str(typed))))
    if any(ch not in _VALUE for ch in chars):
        return Invalid("format", (("example", EXAMPLE),))
    if _weighted_sum(chars) != 0:
        return Invalid("check")
    return display(chars)
