"""Serbian mobile phone numbers, read with phonenumbers (region RS) and kept in E.164.

Accepted as typed: "064 123 4567", "064/123-45-67", "+381641234567", "00381 64 123-45-67",
"381641234567" (how some chat apps hand over a contact). Letters are refused rather than
read as a keypad word, and so are extensions: the number is for text messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from flows.domain.textinput import Invalid, compact

REASONS: tuple[str, ...] = (
    "format",  # not a phone number, or no number that exists
    "not_serbian",  # a number of another country (+387, +383, ...)
    "not_mobile",  # a Serbian landline or service number
)

REGION = "RS"
COUNTRY_CODE = 381

_TYPED = re.compile(r"\+?[0-9()\-/.]+")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True, slots=True, repr=False)
class Phone:
    """A number, never shown in repr so it cannot leak into a log by accident."""

    e164: str  # "+381641234567": what is stored and sent
    national: str  # "064 1234567": what a Serbian reader expects
    international: str  # "+381 64 1234567"

    def __repr__(self) -> str:
        return "Phone(<personal data>)"

    @property
    def value(self) -> str:
        return self.e164


def parse_phone(raw: str) -> Phone | Invalid:
    """A Serbian mobile number in any usual spelling, or why it is refused."""
    typed = compact(raw)
    if not _TYPED.fullmatch(typed):
        return Invalid("format")
    try:
        number = phonenumbers.parse(typed, REGION)
    except NumberParseException:
        return Invalid("format")
    if number.country_code != COUNTRY_CODE:
        return Invalid("not_serbian")
    if not phonenumbers.is_valid_number(number):
        return Invalid("format")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return Invalid("not_mobile")
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
    )
