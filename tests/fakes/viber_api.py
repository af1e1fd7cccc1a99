"""A fake Viber REST bot API on 127.0.0.1, for tests and the Viber benchmark.

It behaves like Viber where our bot can tell: every call needs X-Viber-Auth-Token (a
wrong one: status 2); get_account_info; set_webhook calls the URL back with a signed
`webhook` event before it answers (status 1 if that is not answered 200); send_message
validates like Viber (tests/fakes/viber_checks.py) and answers Viber's statuses: 5 for an
unknown receiver, 6 for one not subscribed, 10 with no webhook, 12 past 100 messages to
a person who has not answered. Simulated users (viber_users.py) send signed callbacks;
a callback answered with anything but 2xx (or not at all) is sent again, as Viber
retries, until answered or `retry_for_s` has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.viber_checks import (
    INVALID_AUTH_TOKEN,
    INVALID_URL,
    MISSING_DATA,
    RECEIVER_NOT_REGISTERED,
    RECEIVER_NOT_SUBSCRIBED,
    STATUS_NAMES,
    TOO_MANY_REQUESTS,
    WEBHOOK_NOT_SET,
    Refused,
    check_message,
)
from tests.fakes.viber_users import Received, ViberUser

__all__ = ["DEFAULT_TOKEN", "SIGNATURE_HEADER", "FakeViberApi", "Received", "ViberUser"]

DEFAULT_TOKEN = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"
SIGNATURE_HEADER = "X-Viber-Content-Signature"
PER_PERSON_UNANSWERED = 100  # messages a bot may send a person who has not answered


def sign(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class FakeViberApi:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        uri: str = "ecitizen-test",
        name: str = "еГрађанин — услуга за грађане Крагујевца",
        retry_delay_s: float = 0.2,
        retry_for_s: float = 30.0,
        callback_timeout_s: float = 60.0,
        connections: int = 100,
    ) -> None:
        self.token = token
        self.uri = uri
        self.name = name
        self.retry_delay_s = retry_delay_s
        self.retry_for_s = retry_for_s
        self._callback_timeout = aiohttp.ClientTimeout(total=callback_timeout_s)
        self._connections = connections  # callbacks on the wire at once, as Viber's pool
        self.users: dict[str, ViberUser] = {}
        self._user_ids = itertools.count(1)
        self._tokens = itertools.count(5_000_000_000_000_000_001)
        self.webhook: str | None = None
        self.event_types: list[str] = []
        self.calls: Counter[str] = Counter()
        self.sent: list[Received] = []  # accepted messages, in order
        self.refused: list[tuple[str, int, str]] = []  # (method, status, message)
        self.callbacks: list[tuple[str, int, int]] = []  # (event, token, HTTP status) per try
        self.hold_sends_to: set[str] = set()  # user ids whose messages are held, never sent
        self.held = 0
        self._failures: list[int] = []  # statuses for the next send_message calls
        self._broken = 0
        self._last_ms = 0  # next send_message calls answered like a broken proxy (HTTP 502)
        self._changed = asyncio.Condition()
        self._release = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- running ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/pa/{method}", self._endpoint)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/pa"
        self._http = aiohttp.ClientSession(
            timeout=self._callback_timeout,
            connector=aiohttp.TCPConnector(limit=self._connections),
        )
        return self.url

    async def close(self) -> None:
        self._release.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeViberApi:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- simulated people ---------------------------------------------------------------

    def user(self, name: str = "Ана", **options: Any) -> ViberUser:
        user_id = f"{next(self._user_ids):010d}vbUsr+{len(self.users):04d}=="
        person = ViberUser(self, user_id, name, **options)
        self.users[user_id] = person
        return person

    # -- tests' controls ----------------------------------------------------------------

    def fail_next(self, *statuses: int) -> None:
        """The next send_message calls answer these Viber statuses (e.g. 12)."""
        self._failures.extend(statuses)

    def break_next(self, count: int = 1) -> None:
        """The next send_message calls get HTTP 502 and no Viber answer (network trouble)."""
        self._broken += count

    async def wait_until(self, condition: Callable[[], bool], wait_s: float = 10.0) -> None:
        async with asyncio.timeout(wait_s):
            async with self._changed:
                await self._changed.wait_for(condition)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- callbacks to the bot -----------------------------------------------------------

    def _now_ms(self) -> int:
        """Viber's time of an event, in ms; events one after another never share one."""
        self._last_ms = max(self._last_ms + 1, int(time.time() * 1000))
        return self._last_ms

    async def callback(self, event: dict[str, Any], welcome_for: ViberUser | None = None) -> int:
        """Send a callback as Viber does (a token and a time added, signed), again and
        again until it is answered 2xx; returns the last HTTP status (0: no answer)."""
        event.setdefault("timestamp", self._now_ms())
        event.setdefault("message_token", next(self._tokens))
        body = json.dumps(event, ensure_ascii=False).encode()
        status, answer = await self.deliver(body)
        if welcome_for is not None and 200 <= status < 300:
            await self._welcome(welcome_for, answer)
        return status

    async def deliver(self, body: bytes) -> tuple[int, bytes]:
        """One callback body, signed, retried while not answered 2xx."""
        event = json.loads(body)
        deadline = time.monotonic() + self.retry_for_s
        while True:
            status, answer = await self.post_raw(body, sign(self.token, body))
            self.callbacks.append(
                (str(event.get("event")), int(event.get("message_token", 0)), status)
            )
            if 200 <= status < 300 or time.monotonic() >= deadline:
                return status, answer
            await asyncio.sleep(self.retry_delay_s)

    async def post_raw(self, body: bytes, signature: str | None) -> tuple[int, bytes]:
        """One try, with whatever signature (or none): for the signature tests."""
        if self.webhook is None:
            raise AssertionError("no webhook set: the bot did not call set_webhook")
        assert self._http is not None
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        try:
            async with self._http.post(self.webhook, data=body, headers=headers) as response:
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return 0, b""

    async def _welcome(self, user: ViberUser, answer: bytes) -> None:
        try:
            data = json.loads(answer) if answer else {}
        except json.JSONDecodeError:
            self.refused.append(("welcome", -1, "not JSON"))
            return
        if not data:
            return
        try:
            check_message(data, len(answer), welcome=True)
        except Refused as refused:
            self.refused.append(("welcome", refused.status, refused.message))
            return
        self._deliver_to(user, data, welcome=True)
        await self._notify()

    # -- the API ------------------------------------------------------------------------

    async def _endpoint(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        raw = await request.read()
        if method == "send_message" and self._broken:
            self._broken -= 1
            return web.Response(status=502, text="<html>Bad Gateway</html>")
        try:
            if request.headers.get("X-Viber-Auth-Token") != self.token:
                raise Refused(INVALID_AUTH_TOKEN, STATUS_NAMES[INVALID_AUTH_TOKEN])
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise Refused(3, "badData: not JSON") from None
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise Refused(3, f"unknown method {method}")
            answer = await handler(data, len(raw))
        except Refused as refused:
            self.refused.append((method, refused.status, refused.message))
            await self._notify()
            return web.json_response(refused.answer())
        await self._notify()
        return web.json_response({"status": 0, "status_message": "ok", **answer})

    async def _m_get_account_info(self, _: dict[str, Any], __: int) -> dict[str, Any]:
        return {
            "id": "pa:5000000000000000001",
            "name": self.name,
            "uri": self.uri,
            "icon": "https://avatar.example/bot.jpg",
            "category": "Government",
            "country": "RS",
            "webhook": self.webhook or "",
            "event_types": self.event_types,
            "subscribers_count": sum(1 for u in self.users.values() if u.subscribed),
            "members": [],
        }

    async def _m_set_webhook(self, data: dict[str, Any], size: int) -> dict[str, Any]:
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise Refused(MISSING_DATA, "url is missing")
        previous, self.webhook = self.webhook, url
        body = json.dumps(
            {
                "event": "webhook",
                "timestamp": self._now_ms(),
                "chat_hostname": "SN-CALLBACK-01_",
                "message_token": next(self._tokens),
            }
        ).encode()
        status, _answer = await self.post_raw(body, sign(self.token, body))
        self.callbacks.append(("webhook", 0, status))
        if status != 200:
            self.webhook = previous
            raise Refused(
                INVALID_URL, f"{STATUS_NAMES[INVALID_URL]}: the webhook answered {status}"
            )
        self.event_types = list(data.get("event_types") or [])
        return {"event_types": self.event_types}

    async def _m_send_message(self, data: dict[str, Any], size: int) -> dict[str, Any]:
        check_message(data, size)
        if self.webhook is None:
            raise Refused(WEBHOOK_NOT_SET, STATUS_NAMES[WEBHOOK_NOT_SET])
        user = self.users.get(str(data["receiver"]))
        if user is None:
            raise Refused(RECEIVER_NOT_REGISTERED, STATUS_NAMES[RECEIVER_NOT_REGISTERED])
        if not user.subscribed:
            raise Refused(RECEIVER_NOT_SUBSCRIBED, STATUS_NAMES[RECEIVER_NOT_SUBSCRIBED])
        if self._failures:
            status = self._failures.pop(0)
            raise Refused(status, STATUS_NAMES.get(status, "failure"))
        if user.unanswered >= PER_PERSON_UNANSWERED:
            raise Refused(TOO_MANY_REQUESTS, "Too many requests")
        if user.id in self.hold_sends_to:
            self.held += 1
            await self._notify()
            await self._release.wait()  # until the bot gives up (it is killed) or we close
            raise Refused(TOO_MANY_REQUESTS, "held")
        token = self._deliver_to(user, data)
        await self._notify()
        return {"message_token": token, "chat_hostname": "SN-CHAT-01_"}

    def _deliver_to(self, user: ViberUser, data: dict[str, Any], welcome: bool = False) -> int:
        token = next(self._tokens)
        message = Received(
            type=str(data["type"]),
            text=str(data.get("text", "")),
            media=data.get("media"),
            keyboard=data.get("keyboard"),
            tracking=data.get("tracking_data"),
            token=token,
            min_api_version=int(data.get("min_api_version", 1)),
            welcome=welcome,
        )
        user.receive(message)
        self.sent.append(message)
        return token

    async def receipt(self, user: ViberUser, token: int, event: str) -> int:
        """delivered / seen / failed for a message the bot sent."""
        return await self.callback({"event": event, "message_token": token, "user_id": user.id})

    async def release_held(self) -> None:
        self._release.set()
        with contextlib.suppress(Exception):
            await self._notify()
