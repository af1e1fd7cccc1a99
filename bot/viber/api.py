"""Viber's REST bot API, called with our aiohttp client (not the synchronous viberbot SDK).

Every call is a POST of JSON to <api_url>/<method> with the bot token in the
X-Viber-Auth-Token header; the answer is JSON with a `status` (0 is success) and a
`status_message` (developers.viber.com/docs/api/rest-bot-api, "Error Codes"). The HTTP
status is 200 even for most failures, so the JSON status is what counts.

The statuses that matter to us become the shared sender's outcomes (bot/sending.py):
5 receiverNotRegistered, 6 receiverNotSubscribed and 11 receiverNoSuitableDevice:
RecipientGone (the person cannot be written to); 12 tooManyRequests: Throttled (Viber
allows 100 messages to a person within an hour without a reply, creators.viber.com
send_message); network trouble or a non-JSON answer: NetworkTrouble. 2 invalidAuthToken
is the operator's to fix. The token never appears in a log or an error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.sending import NetworkTrouble, Throttled
from bot.viber.errors import InvalidViberToken, ViberRefused
from flows.engine.channel_ports import RecipientGone

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://chatapi.viber.com/pa"
AUTH_HEADER = "X-Viber-Auth-Token"

OK = 0
INVALID_URL = 1
INVALID_AUTH_TOKEN = 2
RECEIVER_NOT_REGISTERED = 5
RECEIVER_NOT_SUBSCRIBED = 6
RECEIVER_NO_SUITABLE_DEVICE = 11
TOO_MANY_REQUESTS = 12
GONE = frozenset({RECEIVER_NOT_REGISTERED, RECEIVER_NOT_SUBSCRIBED, RECEIVER_NO_SUITABLE_DEVICE})

# The per-person cap (100 messages an hour without a reply) resets only when the person
# writes: trying again within seconds is pointless.
THROTTLED_WAIT_S = 300.0

# Viber sends these callbacks only if asked in set_webhook (event_types); message,
# subscribed and unsubscribed come always.
EVENT_TYPES = ("delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started")


class ViberApi:
    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = 15.0,
        throttled_wait_s: float = THROTTLED_WAIT_S,
    ) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self._throttled_wait_s = throttled_wait_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={AUTH_HEADER: self._token},
                connector=aiohttp.TCPConnector(limit=64),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The answer of a successful call; raises for every failure (see the module)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            async with self._http().post(
                f"{self.api_url}/{method}",
                data=body,
                headers={"Content-Type": "application/json"},
            ) as response:
                raw = await response.read()
                http_status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise NetworkTrouble(f"{method}: {type(exc).__name__}") from None
        answer = _json(raw)
        if answer is None:
            raise NetworkTrouble(f"{method}: HTTP {http_status}, not a Viber answer")
        status = answer.get("status")
        if status == OK:
            return answer
        message = str(answer.get("status_message", ""))
        if status == INVALID_AUTH_TOKEN:
            raise InvalidViberToken(f"Viber refused the bot token ({method}: invalidAuthToken)")
        if status in GONE:
            raise RecipientGone(message or f"Viber status {status}")
        if status == TOO_MANY_REQUESTS:
            raise Throttled(self._throttled_wait_s, "Viber: too many messages to this person")
        raise ViberRefused(method, int(status) if isinstance(status, int) else -1, message)

    async def account_info(self) -> dict[str, Any]:
        return await self.call("get_account_info", {})

    async def set_webhook(self, url: str) -> dict[str, Any]:
        """Viber calls the URL back with a `webhook` event before it answers: our server
        must already be serving the route."""
        return await self.call(
            "set_webhook",
            {"url": url, "event_types": list(EVENT_TYPES), "send_name": False, "send_photo": False},
        )

    async def send_message(self, payload: dict[str, Any]) -> str:
        """The message's token (Viber's id of it, for delivery receipts)."""
        answer = await self.call("send_message", payload)
        return str(answer.get("message_token", ""))


def _json(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
