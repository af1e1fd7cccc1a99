"""A shared contact's phone number, as the messengers give it."""

from __future__ import annotations


def international(phone: str) -> str:
    """Telegram and Viber give a contact's number in international form, often without
    the '+'; the engine's phone check reads it either way once the '+' is there."""
    digits = phone.strip()
    return digits if digits.startswith("+") else f"+{digits}"
