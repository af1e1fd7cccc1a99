"""Serbian mobile phone numbers, read with phonenumbers (region RS) and kept in E.164.

Accepted as typed: "064 123 4567", "064/123-45-67", "+381641234567", "00381 64 123-45-67",
"381641234567" (how some chat apps hand over a contact). Letters are refused rather than
read as a keypad word, and so are extensions: the number is for text messages.

Shown one way everywhere (`display`): "064 123 4567", the grouping of the examples in every
question and message about a phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from flows.domain.textinput import Invalid, compact

REASONS: tuple[str, ...] = (
    "format",  # not a phone number, or no number that exists
    "length",  # too few or too many digits for a mobile number
    "not_serbian",  # a number of another country (+387, +383, ...)
    "not_mobile",  # a Serbian landline or service number
)

REGION = "RS"
COUNTRY_CODE = 381
EXAMPLE = "064 123 4567"  # how every message writes a number, and how it is shown
# digits of a mobile number written with its leading 0: 06x and six or seven more
MIN_DIGITS = 9
MAX_DIGITS = 10
_TOO_FEW_OR_MANY = frozenset(
    {
        NumberParseException.TOO_SHORT_NSN,
        NumberParseException.TOO_SHORT_AFTER_IDD,
        NumberParseException.TOO_LONG,
    }
)

_TYPED = re.compile(r"\+?[0-9()\-/.]+")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True, slots=True, repr=False)
class Phone:
    """A number, never shown in repr so it cannot leak into a log by accident."""

    e164: str  # "+381641234567": what is stored and sent
    national: str  # "064 123 4567": what a Serbian reader expects, as the examples write it
    international: str  # "+381 64 123 4567"

    def __repr__(self) -> str:
        return "Phone(<personal data>)"

    @property
    def value(self) -> str:
        return self.e164


def _length(digits: int) -> Invalid:
    return Invalid(
        "length", (("min", str(MIN_DIGITS)), ("max", str(MAX_DIGITS)), ("typed", str(digits)))
    )


def _grouped(nsn: str) -> tuple[str, str]:
    """The national and international forms, grouped as the examples are: 064 123 4567."""
    groups = f"{nsn[2:5]} {nsn[5:]}" if len(nsn) > 5 else nsn[2:]
    return f"0{nsn[:2]} {groups}", f"+{COUNTRY_CODE} {nsn[:2]} {groups}"


def parse_phone(raw: str) -> Phone | Invalid:
    """A Serbian mobile number in any usual spelling, or why it is refused."""
    typed = compact(raw)
    if not _TYPED.fullmatch(typed):
        return Invalid("format")
    try:
        number = phonenumbers.parse(typed, REGION)
    except NumberParseException as exc:
        if exc.error_type in _TOO_FEW_OR_MANY:
            return _length(sum(ch.isdigit() for ch in typed))
        return Invalid("format")
    if number.country_code != COUNTRY_CODE:
        return Invalid("not_serbian")
    if not phonenumbers.is_valid_number(number):
        # counted as written with the leading 0, like the example
        digits = 1 + len(str(number.national_number or ""))
        return Invalid("format") if MIN_DIGITS <= digits <= MAX_DIGITS else _length(digits)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return Invalid("not_mobile")
    national, international = _grouped(str(number.national_number))
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        national=national,
        international=international,
    )


_STORED = re.compile(rf"\+{COUNTRY_CODE}([1-9][0-9]{{{MIN_DIGITS - 2},{MAX_DIGITS - 2}}})")


def display(e164: str) -> str:
    """A stored number as it is shown everywhere: "064 123 4567" (as typed, if unreadable).

    Read from the E.164 form `parse_phone` stored, with no parsing and no memo: the summary
    shows it after every change, and a memo would keep people's numbers in the process.
    """
    stored = _STORED.fullmatch(e164)
    return _grouped(stored[1])[0] if stored else e164
