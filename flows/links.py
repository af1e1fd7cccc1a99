"""Signed deep-link payloads: `t.me/<bot>?start=<payload>` links a registration to a chat.

The payload is URL-safe, at most 64 characters (Telegram's limit): the reference, an
expiry day and a truncated HMAC-SHA256. A forged or expired payload verifies to None.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the deep-link secret must have at least 16 bytes")
        self._secret = secret

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, ref: str, expires: datetime) -> str:
        day = (expires - _EPOCH).days
        body = f"r{ref.replace('-', '')}_{day:x}"
        payload = f"{body}_{self._mac(body)}"
        assert len(payload) <= 64
        return payload

    def verify(self, payload: str, now: datetime) -> str | None:
        """The reference (without its hyphen) the payload names, if genuine and not expired."""
        if len(payload) > 64 or payload.count("_") != 2 or not payload.startswith("r"):
            return None
        ref, day_hex, mac = payload[1:].split("_")
        body = f"r{ref}_{day_hex}"
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            expires = _EPOCH + timedelta(days=int(day_hex, 16) + 1)
        except ValueError:
            return None
        return ref if now < expires else None

    def telegram_link(self, bot_username: str, ref: str, now: datetime, days: int) -> str:
        payload = self.sign(ref, now + timedelta(days=days))
        return f"https://t.me/{bot_username}?start={payload}"
