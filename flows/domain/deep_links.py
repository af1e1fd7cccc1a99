"""Signed deep-link payloads: `t.me/<bot>?start=<payload>` (Telegram) or
`viber://pa?chatURI=<uri>&context=<payload>` (Viber) links a registration to a chat.

The payload is URL-safe, at most 64 characters (Telegram's limit): the reference, an
expiry day and a truncated HMAC-SHA256. A forged or expired payload verifies to None.
Both messengers get the same payload, and hand it back the same way (/start <payload>).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_REF_LEN = 8
_MAC_LEN = 16  # base64 of 12 bytes of HMAC-SHA256
_LENGTH = 1 + _REF_LEN + 4 + _MAC_LEN


def telegram_url(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def viber_url(uri: str, payload: str) -> str:
    """Opens the bot's chat in Viber; the context comes back in conversation_started."""
    return f"viber://pa?chatURI={uri}&context={payload}"


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the deep-link secret must have at least 16 bytes")
        self._secret = secret

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, ref: str, expires: datetime) -> str:
        compact = ref.replace("-", "")
        if len(compact) != _REF_LEN:
            raise ValueError("a reference has 8 characters")
        body = f"r{compact}{(expires - _EPOCH).days:04x}"
        payload = body + self._mac(body)
        assert len(payload) <= 64
        return payload

    def verify(self, payload: str, now: datetime) -> str | None:
        """The reference (without its hyphen) the payload names, if genuine and not expired.

        Fields have fixed widths: "r", the 8-character reference, the expiry day in 4 hex
        digits, then the MAC (whose base64 alphabet may hold "_" and "-")."""
        if len(payload) != _LENGTH or not payload.startswith("r"):
            return None
        body, mac = payload[: _LENGTH - _MAC_LEN], payload[_LENGTH - _MAC_LEN :]
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        try:
            expires = _EPOCH + timedelta(days=int(body[1 + _REF_LEN :], 16) + 1)
        except ValueError:
            return None
        return body[1 : 1 + _REF_LEN] if now < expires else None

    def telegram_link(self, bot_username: str, ref: str, now: datetime, days: int) -> str:
        return telegram_url(bot_username, self.sign(ref, now + timedelta(days=days)))


def deep_link(
    signer: LinkSigner, bot_username: str, ref: str, *, now: datetime, days: int
) -> str | None:
    """The Telegram link that follows a registration, valid `days` from now; none when no
    bot is configured (slip samples; the engine goes through Env.chat_links)."""
    if not bot_username:
        return None
    return signer.telegram_link(bot_username, ref, now, days)
