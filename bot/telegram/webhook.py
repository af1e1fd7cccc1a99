"""The webhook endpoint on our own aiohttp server: Telegram POSTs each update here.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token; a
request without it, or with another one, is refused (401) before its body is read. A body
that is not JSON, or not an Update, is refused (400). Neither reaches the engine, and the
server goes on serving. A good update is answered 200 only once it is handled (its unit
committed, its reply sent): a process that dies before that leaves Telegram to deliver it
again, to any process, and the engine then answers with the reply it recorded.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.telegram.inbound import Json, Malformed, update_chat

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    def __init__(self, secret: str, handle: Callable[[Json], Awaitable[None]], path: str) -> None:
        self._secret = secret.encode()
        self._handle = handle
        self._path = path
        self.accepted = 0
        self.refused = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self._path, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.warning("Telegram webhook: request with a wrong or missing secret token refused")
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        update = self._parse(await request.read())
        if update is None:
            self.refused += 1
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        await self._handle(update)
        self.accepted += 1
        return web.json_response({"ok": True})

    def _parse(self, body: bytes) -> Json | None:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("Telegram webhook: body is not JSON")
            return None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("Telegram webhook: JSON without an update_id")
            return None
        try:
            update_chat(data)  # the parts we read are there
        except Malformed as exc:
            log.warning("Telegram webhook: malformed update %d (%s)", update_id, exc)
            return None
        return dict(data)
