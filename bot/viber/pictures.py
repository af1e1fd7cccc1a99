"""QR codes for Viber: a picture message needs a URL, so our server serves the PNG.

Viber fetches a picture message's `media` from a URL whose last path segment ends in
.png, .jpeg or .gif (REST bot API, picture message). The URL names what the code holds
in a signed, expiring token, so every process serves it (nothing kept in memory or the
store) and nobody can have a code of their own choosing drawn, or find one by guessing:
the token is the payload and its expiry, with an HMAC-SHA256 over both keyed with a key
derived from the deployment's link secret ([links] secret, shared by every process).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.qr import qr_png

PATH = "/viber/qr"
KEPT = timedelta(days=7)  # long enough for Viber and slow phones to fetch it
_MAC_BYTES = 16
_MAX_PAYLOAD = 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PictureLinks:
    def __init__(
        self,
        secret: bytes,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        kept: timedelta = KEPT,
    ) -> None:
        self._key = hmac.new(secret, b"viber-qr-pictures", hashlib.sha256).digest()
        self._base = public_url.rstrip("/")
        self._clock = clock
        self._kept = kept

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]

    def url(self, payload: str) -> str:
        """The URL of the payload's QR code, valid for the next `kept`."""
        expires = int((self._clock() + self._kept).timestamp())
        body = struct.pack(">I", expires) + payload.encode()[:_MAX_PAYLOAD]
        return f"{self._base}{PATH}/{_b64(body)}.{_b64(self._mac(body))}.png"

    def payload(self, token: str) -> str | None:
        """What the code holds, if the token is ours and not expired."""
        body_part, _, mac_part = token.removesuffix(".png").partition(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except (binascii.Error, ValueError):
            return None
        if len(body) < 4 or not hmac.compare_digest(mac, self._mac(body)):
            return None
        (expires,) = struct.unpack(">I", body[:4])
        if self._clock().timestamp() >= expires:
            return None
        try:
            return body[4:].decode()
        except UnicodeDecodeError:
            return None

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH + "/{token}", self.serve)]

    async def serve(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        payload = self.payload(token) if token.endswith(".png") else None
        if payload is None:
            raise web.HTTPNotFound()
        png = await asyncio.to_thread(qr_png, payload)
        return web.Response(
            body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
        )
