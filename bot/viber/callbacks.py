"""The callback endpoint on our own aiohttp server: Viber POSTs every event here.

Every callback is verified before anything else: X-Viber-Content-Signature must be the
hex HMAC-SHA256 of the raw body keyed with the bot's token (REST bot API, "Callbacks"),
compared in constant time. A missing or wrong signature gets 403 and nothing is done; a
body that is not JSON, or not a callback Viber sends, gets 400; an event we do not use
gets 200, as Viber expects. Viber retries a callback answered with anything but 2xx, so
a 5xx is how we ask for it again (a reply we could not send yet).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.viber.events import Event, Malformed, parse_event

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Viber-Content-Signature"

Handler = Callable[[Event], Awaitable[web.Response]]


def signature(token: str, body: bytes) -> str:
    """What Viber sends in X-Viber-Content-Signature for this body."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signed(token: str, body: bytes, given: str | None) -> bool:
    if not given:
        return False
    expected = signature(token, body)
    return hmac.compare_digest(given.strip().lower().encode(), expected.encode())


class CallbackRoute:
    def __init__(self, token: str, handle: Handler, path: str) -> None:
        self._token = token
        self._handle = handle
        self.path = path
        self.accepted = 0
        self.refused = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.path, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signed(self._token, body, request.headers.get(SIGNATURE_HEADER)):
            self.refused += 1
            log.warning("Viber callback with a wrong or missing signature refused")
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            event = parse_event(json.loads(body))
        except (UnicodeDecodeError, json.JSONDecodeError, Malformed) as exc:
            self.refused += 1
            log.warning("Viber callback refused: %s", type(exc).__name__)
            return web.json_response({"error": "not a Viber callback"}, status=400)
        self.accepted += 1
        try:
            return await self._handle(event)
        except Exception:
            # Not the person's words in the log: only which event failed. Viber tries again.
            log.exception("Viber: the %s callback failed", event.name)
            return web.json_response({"error": "try again"}, status=500)
