"""The number of the citizen's ID card: 8 or 9 digits, leading zeros kept.

Kept as a string, never an integer: "012345678" and "12345678" are different cards.
"""

from __future__ import annotations

from flows.domain.textinput import Invalid, compact, is_ascii_digits

REASONS: tuple[str, ...] = (
    "not_digits",  # something other than digits and spaces
    "length",  # fewer than 8 or more than 9 digits
)

MIN_DIGITS = 8
MAX_DIGITS = 9


def parse_id_number(raw: str) -> str | Invalid:
    """The card number as typed without its spaces, or why it is refused."""
    digits = compact(raw)
    if digits and not is_ascii_digits(digits):
        return Invalid("not_digits")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        limits = (("min", str(MIN_DIGITS)), ("max", str(MAX_DIGITS)))
        return Invalid("length", (*limits, ("typed", str(len(digits)))))
    return digits
