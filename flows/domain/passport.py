"""The number of a Serbian passport: nine digits, leading zeros kept.

Where the format comes from (public sources):
- ICAO Doc 9303 (Machine Readable Travel Documents), which Serbian biometric passports
  follow, gives the passport number a field of nine characters in the machine-readable
  zone: https://www.cardlogix.com/glossary/icao/ and the specification itself,
  https://docslib.org/download/3204331/doc-9303-machine-readable-travel-documents-eighth-edition-2021
- Serbian biometric passports (issued since 7 July 2008) carry a purely numeric serial
  number, the one laser-perforated through every page:
  https://wikiwand.com/en/Serbian_passport and https://www.papertotravel.com/MP-300
Serbian passports fill that field with nine digits (e.g. 012345678). The eID portal accepts
a valid biometric ID card or passport: https://eid.gov.rs/sr-Latn-RS/sta-je-egradjanin

Kept as a string, never an integer: "012345678" and "12345678" are different passports.
"""

from __future__ import annotations

from flows.domain.textinput import Invalid, compact, is_ascii_digits

REASONS: tuple[str, ...] = (
    "not_digits",  # letters or signs: a Serbian passport number is digits only
    "length",  # not exactly nine digits
)

DIGITS = 9


def parse_passport_number(raw: str) -> str | Invalid:
    """The passport number as typed without its spaces, or why it is refused."""
    digits = compact(raw)
    if digits and not is_ascii_digits(digits):
        return Invalid("not_digits", (("count", str(DIGITS)),))
    if len(digits) != DIGITS:
        return Invalid("length", (("count", str(DIGITS)),))
    return digits
