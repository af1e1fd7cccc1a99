"""The web chat: the same conversations as Telegram, in a browser page, with no account.

GET  /chat                  the page (mobile-friendly; ?start=<payload> opens a deep link)
GET  /chat/api/history      what this session was told so far (after a reload)
POST /chat/api/message      {"id": <client message id>, "text" | "choice" | "command"}
GET  /chat/api/events       long poll: ?after=<last item id> -> the items after it
GET  /static/chat/<file>    script and style

The session is a random token in an HttpOnly, SameSite=Strict cookie; the conversation
key is ConversationKey("web", token). Typed "/command payload" lines work as on Telegram
(so an officer enrolls with "/officer <code>"). Notifications reach the page through
WebChatDelivery (bot/web/mailbox.py); see there for what is kept, where and for how long.
Any server process can answer any request of a session: everything lives in the store.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Protocol

from aiohttp import web

from bot.terminal import parse_line
from bot.web.http import BadRequest, error, harden, private, read_object, text_field
from bot.web.mailbox import CHANNEL, Mailboxes, MailboxStoreWithWakeups, WebChatDelivery
from bot.web.render import render_outbound
from flows.domain.appsecrets import mask_app_secrets
from flows.i18n import normalize_language, text
from flows.messages import DEFAULT_LANGUAGE, LANGUAGES, Command, ConversationKey, Inbound, Outbound
from flows.records import Mailbox, MailboxItem

COOKIE = "webchat_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
WEB_DIR = Path(__file__).with_name("web")
STATIC = {"chat.js": "text/javascript", "chat.css": "text/css"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FIELDS = frozenset({"id", "text", "choice", "label", "command", "payload"})
# Kiosk-only: a web chat is a person's own device, it is never wiped from outside.
COMMANDS = frozenset(Command) - {Command.WIPE}
UI_KEYS = (
    "webchat.page.title",
    "webchat.log.label",
    "webchat.input.label",
    "webchat.send",
    "webchat.you",
    "webchat.assistant",
    "webchat.offline",
    "webchat.error",
    "webchat.qr",
    "webchat.open_telegram",
    "kiosk.result.reference",
    "kiosk.result.ticket",
)


class Conversations(Protocol):
    async def handle(self, inbound: Inbound) -> list[Outbound]: ...


@dataclass
class WebChatDeps:
    engine: Conversations
    store: MailboxStoreWithWakeups
    poll_seconds: float = 25.0  # a long poll answers empty after this long
    reread_seconds: float = 5.0  # a waiting poll reads again (should a wake-up be lost)
    mailboxes: Mailboxes = field(init=False)

    def __post_init__(self) -> None:
        self.mailboxes = Mailboxes(self.store, render_outbound, reread_seconds=self.reread_seconds)

    @property
    def delivery(self) -> WebChatDelivery:
        """Register this with the outbox for channel "web"."""
        return WebChatDelivery(self.mailboxes)


def ui_texts(language: str) -> dict[str, str]:
    return {k.split(".", 1)[1]: text(k, language) for k in UI_KEYS}


class WebChat:
    def __init__(self, deps: WebChatDeps) -> None:
        self.deps = deps
        self.boxes = deps.mailboxes
        self._files: dict[str, bytes] = {}

    async def _file(self, name: str) -> bytes:
        if name not in self._files:
            self._files[name] = await asyncio.to_thread((WEB_DIR / name).read_bytes)
        return self._files[name]

    async def page(self, request: web.Request) -> web.Response:
        template = Template((await self._file("chat.html")).decode("utf-8"))
        ui = ui_texts(DEFAULT_LANGUAGE)
        values = {k.replace(".", "_"): v for k, v in ui.items()}
        body = template.substitute(lang=DEFAULT_LANGUAGE, **values)
        return private(web.Response(text=body, content_type="text/html", charset="utf-8"))

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        response = web.Response(
            body=await self._file(name),
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},  # no personal data: revalidate only
        )
        return harden(response)

    def _session(self, request: web.Request) -> tuple[str, bool]:
        token = request.cookies.get(COOKIE, "")
        if _TOKEN.match(token):
            return token, False
        return secrets.token_urlsafe(24), True

    def _answer(
        self, request: web.Request, token: str, new: bool, body: dict[str, Any]
    ) -> web.Response:
        response = private(web.json_response(body))
        if new:
            response.set_cookie(
                COOKIE,
                token,
                path="/chat",
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )
        return response

    def _view(self, box: Mailbox) -> dict[str, Any]:
        language = normalize_language(box.language)
        return {
            "items": _items(box.items),
            "last": box.last_id,
            "language": language,
            "ui": ui_texts(language),
        }

    async def history(self, request: web.Request) -> web.Response:
        token, new = self._session(request)
        try:
            box = await self.boxes.read(token)
        except Exception:
            return error(503, "unavailable")
        return self._answer(request, token, new, self._view(box))

    async def events(self, request: web.Request) -> web.Response:
        token, new = self._session(request)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return error(400, "after_not_a_number")
        try:
            box = await self.boxes.wait_after(token, after, self.deps.poll_seconds)
        except Exception:
            return error(503, "unavailable")
        return self._answer(request, token, new, self._view(box))

    async def message(self, request: web.Request) -> web.Response:
        token, new = self._session(request)
        try:
            inbound, echo, client_id = self._parse(await read_object(request), token)
        except BadRequest as exc:
            return error(exc.status, exc.code)
        try:
            async with self.boxes.lock(token):
                body = await self._reply(inbound, token, echo, client_id)
        except Exception:
            body = None
        if body is None:
            return error(503, "unavailable")
        return self._answer(request, token, new, body)

    async def _reply(
        self, inbound: Inbound, token: str, echo: str, client_id: str
    ) -> dict[str, Any] | None:
        """The answer to a message, recorded once. A retry (to this process or another)
        gets the recorded answer again. No "last" in it: the items of other senders
        posted meanwhile come with the long poll, which must not skip them."""
        answered = await self.boxes.answered(token, client_id)
        if answered is not None:
            return _answer_view(answered)
        replies = await self.deps.engine.handle(inbound)
        items: list[dict[str, Any]] = [{"from": "me", "text": [echo]}] if echo else []
        language: str | None = None
        for out in replies:
            language = out.language or language
            items.append({"from": "bot", **render_outbound(out)})
        ids = await self.boxes.answer(token, client_id, items, language)
        if ids is None:  # answered meanwhile by another process: that answer stands
            answered = await self.boxes.answered(token, client_id)
            return None if answered is None else _answer_view(answered)
        if language is None:  # no reply (a message seen before): the session's language
            language = (await self.boxes.read(token, ids[-1] if ids else 0)).language
        posted = tuple(
            MailboxItem(i, {**item, "id": i}) for i, item in zip(ids, items, strict=True)
        )
        return _answer_view(Mailbox(token, posted, ids[-1] if ids else 0, language))

    def _parse(self, data: dict[str, Any], token: str) -> tuple[Inbound, str, str]:
        unknown = set(data) - FIELDS
        if unknown:
            raise BadRequest(400, "unknown_fields")
        client_id = text_field(data, "id", 64)
        if client_id is None or not _CLIENT_ID.match(client_id):
            raise BadRequest(400, "id_required")
        typed = text_field(data, "text", 2000)
        choice = text_field(data, "choice", 120)
        command_name = text_field(data, "command", 40)
        payload = text_field(data, "payload", 200)
        label = text_field(data, "label", 200)
        if sum(v is not None for v in (typed, choice, command_name)) != 1:
            raise BadRequest(400, "one_answer")
        key = ConversationKey(CHANNEL, token)
        message_id = f"{token}:{client_id}"
        if typed is not None:
            if not typed.strip():
                raise BadRequest(400, "empty")
            # the echo is kept in the mailbox: a PIN or an activation code never is
            return parse_line(typed, key, message_id), mask_app_secrets(typed), client_id
        if choice is not None:
            return Inbound(key, choice=choice, message_id=message_id), label or "", client_id
        try:
            command = Command(str(command_name))
        except ValueError:
            raise BadRequest(400, "unknown_command") from None
        if command not in COMMANDS:
            raise BadRequest(403, "command_not_allowed")
        if command is Command.LANGUAGE and payload not in LANGUAGES:
            raise BadRequest(400, "unknown_language")
        return Inbound(key, command=command, payload=payload, message_id=message_id), "", client_id


def _items(items: tuple[MailboxItem, ...]) -> list[dict[str, Any]]:
    return [item.item for item in items]


def _answer_view(box: Mailbox) -> dict[str, Any]:
    language = normalize_language(box.language)
    return {"items": _items(box.items), "language": language, "ui": ui_texts(language)}


def add_webchat_routes(app: web.Application, deps: WebChatDeps) -> WebChat:
    """Mount the web chat; give `deps.delivery` to the outbox for channel "web"."""
    chat = WebChat(deps)
    app.cleanup_ctx.append(deps.mailboxes.run)
    app.router.add_get("/chat", chat.page)
    app.router.add_get("/chat/api/history", chat.history)
    app.router.add_get("/chat/api/events", chat.events)
    app.router.add_post("/chat/api/message", chat.message)
    app.router.add_get("/static/chat/{name}", chat.static)
    return chat
