"""A fake Telegram Bot API server on 127.0.0.1, for tests and the burst benchmark.

It answers what our bot uses the way Telegram does, errors included: getMe (401 for a
wrong token), getUpdates with offsets and long polling (409 while a webhook is set),
sendMessage / sendPhoto (400 for unknown chats, bad HTML, long texts, malformed markup or
callback_data over 64 bytes; 403 when the user blocked the bot; 429 with retry_after over
the configured caps, per second of the clock too), editMessageText /
editMessageReplyMarkup, answerCallbackQuery, set/getMyCommands, set/deleteWebhook. With
a webhook set, it POSTs updates to it with the secret token header, each chat's in
order, retrying until answered 2xx; behind a load balancer, round robin to several
servers (bot_api_webhook.py, `deliver_webhooks_to`).

People are simulated by FakeUser (bot_api_users.py): `api.user(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.bot_api_chats import Bucket, Cap, ChatMethods, Refusal, SecondCap
from tests.fakes.bot_api_checks import BadRequest, bot_commands
from tests.fakes.bot_api_users import BotMessage, FakeUser
from tests.fakes.bot_api_webhook import Delivery, WebhookPusher

__all__ = ["DEFAULT_TOKEN", "BotMessage", "Cap", "FakeBotApi", "FakeUser", "SecondCap"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_0123456789abcdef"
SENDS = frozenset({"sendMessage", "sendPhoto"})
# What counts towards a bot's messages per second (SecondCap): sends, and edits, which
# change a chat too. Answers to pressed buttons do not: they show nothing in the chat.
BOT_WIDE = SENDS | {"editMessageText", "editMessageReplyMarkup"}


class FakeBotApi(ChatMethods):
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "ecitizen_test_bot",
        cap: Cap | None = None,
        chat_cap: Cap | None = None,
        second_cap: SecondCap | None = None,
        first_update_id: int = 500_000_001,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.cap, self.chat_cap = cap, chat_cap
        self.second_cap = second_cap
        # Bot-wide calls (BOT_WIDE) per second of the wall clock, refused ones too
        self.per_second: Counter[int] = Counter()
        self._bucket = Bucket(cap) if cap else None
        self._chat_buckets: dict[int, Bucket] = {}
        self.users: dict[int, FakeUser] = {}
        self._user_ids = itertools.count(100_000_001)
        self._update_ids = itertools.count(first_update_id)
        self._pending: list[dict[str, Any]] = []  # not yet confirmed by the bot
        self._changed = asyncio.Condition()  # new updates, confirmations, new messages
        self._poll_generation = 0
        self._callbacks: dict[str, FakeUser] = {}  # open callback queries
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.push_secret: str | None = None  # a wrong secret to push with, for tests
        self.webhook_deliveries: list[Delivery] = []  # every attempt, in order
        self.webhook_targets: list[str] = []  # servers behind the "load balancer"
        self.webhook_connections = 1  # Telegram's max_connections
        self._pusher: asyncio.Task[None] | None = None
        self.calls: Counter[str] = Counter()
        self.sent: list[BotMessage] = []  # accepted sends, in order
        self.throttled: list[tuple[int, str]] = []  # (chat, text) answered 429
        self.refused: list[tuple[str, int, str]] = []  # (method, status, description)
        self._failures: dict[str, list[int | None]] = {}
        # A send (sendMessage, sendPhoto) about to be handled: False drops it unanswered,
        # as if it never reached Telegram. And one accepted, before the answer goes back.
        # For tests that kill the bot's process at either moment.
        self.before_send: Callable[[dict[str, Any]], Awaitable[bool]] | None = None
        self.after_send: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.url = ""

    # -- running ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        self._closing = True
        self._notify()
        await self._stop_pusher()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- simulated people ---------------------------------------------------------------

    def user(
        self,
        first_name: str = "Петар",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "sr",
        phone: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        uid = user_id if user_id is not None else next(self._user_ids)
        user = FakeUser(
            self,
            uid,
            first_name,
            last_name,
            username,
            language_code,
            phone or f"38164{uid % 10**7:07d}",
        )
        self.users[uid] = user
        return user

    @property
    def webhook_answers(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) of every webhook attempt; 0: no HTTP answer."""
        return [(d.update_id, d.status) for d in self.webhook_deliveries]

    def deliver_webhooks_to(self, targets: list[str], max_connections: int = 40) -> None:
        """Deliver webhook updates round robin to these URLs, as a load balancer in front
        of several servers would, up to max_connections at once (applies from the next
        setWebhook)."""
        self.webhook_targets = list(targets)
        self.webhook_connections = max_connections

    def push_update(self, content: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **content}
        self._pending.append(update)
        self._notify()
        return int(update["update_id"])

    def open_callback(self, query_id: str, user: FakeUser) -> None:
        self._callbacks[query_id] = user

    async def fetched(self, wait_s: float = 10.0) -> None:
        """Wait until the bot has taken every update pushed so far."""
        async with asyncio.timeout(wait_s):
            async with self._changed:
                await self._changed.wait_for(lambda: not self._pending)

    async def wait_until(self, condition: Callable[[], bool], wait_s: float = 10.0) -> None:
        """Until `condition()` holds (checked after every change); TimeoutError after wait_s."""
        async with asyncio.timeout(wait_s):
            async with self._changed:
                await self._changed.wait_for(condition)

    def fail_next(self, method: str, count: int = 1, status: int = 502, after: int = 0) -> None:
        """After `after` more good calls, `count` calls of `method` fail with `status`
        (502 Bad Gateway: what a network hiccup on the way to Telegram looks like)."""
        self._failures.setdefault(method, []).extend([None] * after + [status] * count)

    def set_caps(self, cap: Cap | None = None, chat_cap: Cap | None = None) -> None:
        """Change the enforced rates (None: no cap)."""
        self.cap, self.chat_cap = cap, chat_cap
        self._bucket = Bucket(cap) if cap else None
        self._chat_buckets.clear()

    def unhandled_429(self) -> int:
        """Messages refused with 429 that the bot never sent afterwards."""
        delivered = {(m.chat_id, m.text) for m in self.sent}
        return len({t for t in self.throttled if t not in delivered})

    def _notify(self) -> None:
        async def wake() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(wake())

    # -- HTTP ---------------------------------------------------------------------------

    async def _endpoint(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            status = 404 if ":" not in request.match_info["token"] else 401
            return _error(status, "Not Found" if status == 404 else "Unauthorized")
        self.calls[method] += 1
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        if method in BOT_WIDE and (refused := self._over_second_cap()) is not None:
            return refused
        failures = self._failures.get(method)
        failure = failures.pop(0) if failures else None
        if failure is not None:
            return _error(failure, "Bad Gateway")
        try:
            params = await _params(request)
            sending = method in SENDS
            if sending and self.before_send is not None and not await self.before_send(params):
                return _error(502, "Bad Gateway")
            result = await handler(params)
            if sending and self.after_send is not None:
                await self.after_send(result)
        except BadRequest as exc:
            self.refused.append((method, 400, str(exc)))
            return _error(400, f"Bad Request: {exc}")
        except Refusal as exc:
            self.refused.append((method, exc.status, exc.description))
            return _error(exc.status, exc.description, exc.parameters)
        return web.json_response({"ok": True, "result": result})

    def _over_second_cap(self) -> web.Response | None:
        """Counts a bot-wide call in its second; 429 above SecondCap, as Telegram does."""
        second = int(time.time())
        self.per_second[second] += 1
        cap = self.second_cap
        if cap is None or self.per_second[second] <= cap.per_second + cap.burst:
            return None
        self.refused.append(("second cap", 429, "Too Many Requests"))
        return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})

    # -- methods ------------------------------------------------------------------------

    async def _m_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "еГрађанин",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise Refusal(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = min(int(p.get("limit") or 100), 100)
        timeout = float(p.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an earlier getUpdates still waiting ends with 409, as on Telegram
        self._confirm(offset)
        allowed = _json(p.get("allowed_updates"))
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                if generation != self._poll_generation or self._closing:
                    raise Refusal(409, "Conflict: terminated by other getUpdates request")
                ready = [u for u in self._pending if u["update_id"] >= offset]
                if ready or time.monotonic() >= deadline:
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(deadline - time.monotonic()):
                        await self._changed.wait()
        if allowed:
            ready = [u for u in ready if any(k in allowed for k in u if k != "update_id")]
        return ready[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0 and any(u["update_id"] < offset for u in self._pending):
            self._pending[:] = [u for u in self._pending if u["update_id"] >= offset]
            self._notify()

    async def _m_setMyCommands(self, p: dict[str, Any]) -> bool:
        scope = (_json(p.get("scope")) or {}).get("type", "default")
        self.commands[(scope, p.get("language_code") or "")] = bot_commands(p.get("commands"))
        return True

    async def _m_getMyCommands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        scope = (_json(p.get("scope")) or {}).get("type", "default")
        return self.commands.get((scope, p.get("language_code") or ""), [])

    async def _m_deleteWebhook(self, p: dict[str, Any]) -> bool:
        await self._stop_pusher()
        self.webhook = None
        if str(p.get("drop_pending_updates")).lower() == "true":
            self._pending.clear()
        return True

    async def _m_setWebhook(self, p: dict[str, Any]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return await self._m_deleteWebhook(p)
        if not url.startswith(("https://", "http://127.0.0.1:")):  # plain http: tests only
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        await self._stop_pusher()
        self.webhook = {"url": url, "secret_token": p.get("secret_token")}
        if str(p.get("drop_pending_updates")).lower() == "true":
            self._pending.clear()
        self._pusher = asyncio.get_running_loop().create_task(self._push())
        return True

    async def _m_getWebhookInfo(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    # -- webhook pushes -----------------------------------------------------------------

    async def _push(self) -> None:
        assert self.webhook is not None
        pusher = WebhookPusher(
            url=self.webhook["url"],
            pending=self._pending,
            secret=self._push_secret,
            changed=self._changed,
            notify=self._notify,
            targets=self.webhook_targets,
            max_connections=self.webhook_connections,
            deliveries=self.webhook_deliveries,
        )
        await pusher.run()

    def _push_secret(self) -> str | None:
        if self.push_secret is not None:
            return self.push_secret
        return None if self.webhook is None else self.webhook["secret_token"]

    async def _stop_pusher(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters the way Telegram takes them: query string, form, multipart or JSON."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    kind = request.content_type
    if kind == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    elif kind == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                data = await part.read()
                params[part.name] = bytes(data) if part.filename else data.decode()
    else:
        params.update(dict(await request.post()))
    return params
