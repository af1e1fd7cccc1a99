"""E-mail addresses: syntax only (no DNS look-up), normalised by email-validator.

The domain may be internationalised (marko@пример.срб) but the part before the @ must be
ASCII: an address in Cyrillic letters is nearly always a phone keyboard left on Cyrillic,
and the portal's mail must reach it anyway.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from flows.domain.textinput import Invalid, strip_invisible

REASONS: tuple[str, ...] = (
    "format",  # not an e-mail address
    "too_long",  # longer than MAX_LEN characters
    "latin_only",  # letters other than Latin before the @
)

MAX_LEN = 254  # the longest address SMTP can carry (RFC 5321 path limit less the brackets)


def parse_email(raw: str) -> str | Invalid:
    """The normalised address (lowercase domain, NFC), or why it is refused."""
    text = strip_invisible(raw).strip()
    if len(text) > MAX_LEN:
        return _too_long(text)
    local, at, _domain = text.rpartition("@")
    if at and not local.isascii():
        return Invalid("latin_only")
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return Invalid("format")
    normalized = checked.normalized
    if len(normalized) > MAX_LEN:
        return _too_long(normalized)
    return normalized


def _too_long(text: str) -> Invalid:
    return Invalid("too_long", (("max", str(MAX_LEN)), ("typed", str(len(text)))))
