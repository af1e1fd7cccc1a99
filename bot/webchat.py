"""The web chat: the same conversations as Telegram, in a browser page, with no account.

GET  /chat                  the page (mobile-friendly; ?start=<payload> opens a deep link)
GET  /chat/api/history      what this session was told so far (after a reload)
POST /chat/api/message      {"id": <client message id>, "text" | "choice" | "command"}
GET  /chat/api/events       long poll: ?after=<last item id> -> the items after it
GET  /static/chat/<file>    script and style

The session id is given by the server only: random, in an HttpOnly, SameSite=Strict
cookie, and known to the store by its hash alone (flows.engine.ports.WebSessionStore). It opens
a conversation whose key the browser never sees. An id the server did not give (made up,
or planted by someone else) opens nothing: the first message gets a fresh session. When
an officer enrolls, the page gets a new id and the old one is refused from then on, so an
id seen or planted before the enrollment never reaches an officer's screen. Typed
"/command payload" lines work as on Telegram (so an officer enrolls with
"/officer <code>"). Notifications reach the page through WebChatDelivery
(bot/web/mailbox.py); see there for what is kept, where and for how long. Any server
process can answer any request of a session: everything lives in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from string import Template
from typing import Any, Protocol

from aiohttp import web

from bot.terminal import parse_line
from bot.web.mailbox import CHANNEL, Mailboxes, MailboxStoreWithWakeups, WebChatDelivery
from bot.web.render import render_off_loop
from flows.domain.appsecrets import mask_app_secrets
from flows.engine.channel_ports import Conversations
from flows.engine.i18n import normalize_language, text
from flows.engine.json_body import (
    BadRequest,
    only_fields,
    optional_str,
    page_command,
    read_json_object,
)
from flows.engine.messages import (
    DEFAULT_LANGUAGE,
    Command,
    ConversationKey,
    Inbound,
)
from flows.engine.records import Mailbox, MailboxItem, Officer
from flows.engine.session_ports import WebSessionStore

COOKIE = "webchat_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
SESSION_KEPT = timedelta(seconds=COOKIE_MAX_AGE)  # unused this long: forgotten
REPLACED_KEPT = timedelta(hours=1)  # a replaced id is refused (409), then unknown
TOUCH_EVERY = timedelta(minutes=10)
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
    "webchat.open_viber",
    "kiosk.result.reference",
    "kiosk.result.ticket",
)


class WebChatStore(MailboxStoreWithWakeups, WebSessionStore, Protocol):
    async def officer_for(self, key: ConversationKey) -> Officer | None: ...


class Replaced(Exception):
    """The cookie's id was replaced by a new one (an officer enrolled): it opens nothing."""


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # the cookie's id
    user_key: str  # the conversation's and the mailbox's key; never sent to the browser
    new: bool = False  # the cookie is to be set
    stored: bool = True  # False: not kept yet (a page that has sent nothing)


def error(status: int, code: str) -> web.Response:
    return web.json_response({"error": code}, status=status)


def id_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class WebChatDeps:
    engine: Conversations
    store: WebChatStore
    poll_seconds: float = 25.0  # a long poll answers empty after this long
    reread_seconds: float = 5.0  # a waiting poll reads again (should a wake-up be lost)
    mailboxes: Mailboxes = field(init=False)

    def __post_init__(self) -> None:
        self.mailboxes = Mailboxes(self.store, render_off_loop, reread_seconds=self.reread_seconds)

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
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(
            body=await self._file(name),
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},  # no personal data: revalidate only
        )

    async def _session(self, request: web.Request, keep: bool) -> Session:
        """The cookie's session; for an id the server did not give (or none), a fresh one,
        kept in the store only when `keep` (a message: reading an empty chat keeps
        nothing). Raises Replaced for an id that was replaced."""
        token = request.cookies.get(COOKIE, "")
        if _TOKEN.match(token):
            found = await self.deps.store.web_session(id_hash(token), touch_every=TOUCH_EVERY)
            if found is not None:
                if found.user_key is None:
                    raise Replaced()
                return Session(token, found.user_key)
        fresh = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(24), new=True)
        if not keep:
            return Session(fresh.token, fresh.user_key, new=False, stored=False)
        await self.deps.store.add_web_session(id_hash(fresh.token), fresh.user_key)
        return fresh

    async def _replace_if_enrolled(self, session: Session, was_officer: bool) -> Session:
        """An officer enrolled in this chat: the page gets a new id, the old one dies."""
        key = ConversationKey(CHANNEL, session.user_key)
        if was_officer or await self.deps.store.officer_for(key) is None:
            return session
        token = secrets.token_urlsafe(32)
        if not await self.deps.store.replace_web_session(id_hash(session.token), id_hash(token)):
            return session  # replaced meanwhile by another request: that one stands
        return Session(token, session.user_key, new=True)

    def _answer(self, request: web.Request, session: Session, body: dict[str, Any]) -> web.Response:
        response = web.json_response(body)
        if session.new:
            response.set_cookie(
                COOKIE,
                session.token,
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
        try:
            session = await self._session(request, keep=False)
            box = await self.boxes.read(session.user_key)
        except Replaced:
            return error(409, "session_replaced")
        except Exception:
            return error(503, "unavailable")
        return self._answer(request, session, self._view(box))

    async def events(self, request: web.Request) -> web.Response:
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return error(400, "after_not_a_number")
        try:
            session = await self._session(request, keep=False)
            if not session.stored:  # nothing can arrive for a chat that never spoke
                await asyncio.sleep(self.deps.poll_seconds)
                box = Mailbox(session.user_key, (), 0)
            else:
                box = await self.boxes.wait_after(session.user_key, after, self.deps.poll_seconds)
        except Replaced:
            return error(409, "session_replaced")
        except Exception:
            return error(503, "unavailable")
        return self._answer(request, session, self._view(box))

    async def message(self, request: web.Request) -> web.Response:
        try:
            data = await read_json_object(
                request.content_type, request.content_length, request.content.iter_chunked(4096)
            )
            self._parse(data, "")  # a broken message makes no session
        except BadRequest as exc:
            return web.json_response(exc.body(), status=exc.status)
        try:
            session = await self._session(request, keep=True)
        except Replaced:
            return error(409, "session_replaced")
        except Exception:
            return error(503, "unavailable")
        inbound, echo, client_id = self._parse(data, session.user_key)
        try:
            async with self.boxes.lock(session.user_key):
                key = ConversationKey(CHANNEL, session.user_key)
                was_officer = await self.deps.store.officer_for(key) is not None
                body = await self._reply(inbound, session.user_key, echo, client_id)
                session = await self._replace_if_enrolled(session, was_officer)
        except Exception:
            body = None
        if body is None:
            return error(503, "unavailable")
        return self._answer(request, session, body)

    async def _reply(
        self, inbound: Inbound, user_key: str, echo: str, client_id: str
    ) -> dict[str, Any] | None:
        """The answer to a message, recorded once. A retry (to this process or another)
        gets the recorded answer again. No "last" in it: the items of other senders
        posted meanwhile come with the long poll, which must not skip them."""
        answered = await self.boxes.answered(user_key, client_id)
        if answered is not None:
            return _answer_view(answered)
        replies = await self.deps.engine.handle(inbound)
        items: list[dict[str, Any]] = [{"from": "me", "text": [echo]}] if echo else []
        language: str | None = None
        for out in replies:
            language = out.language or language
            items.append({"from": "bot", **await render_off_loop(out)})
        ids = await self.boxes.answer(user_key, client_id, items, language)
        if ids is None:  # answered meanwhile by another process: that answer stands
            answered = await self.boxes.answered(user_key, client_id)
            return None if answered is None else _answer_view(answered)
        if language is None:  # no reply (a message seen before): the session's language
            language = (await self.boxes.read(user_key, ids[-1] if ids else 0)).language
        posted = tuple(
            MailboxItem(i, {**item, "id": i}) for i, item in zip(ids, items, strict=True)
        )
        return _answer_view(Mailbox(user_key, posted, ids[-1] if ids else 0, language))

    def _parse(self, data: dict[str, Any], user_key: str) -> tuple[Inbound, str, str]:
        only_fields(data, FIELDS)
        client_id = optional_str(data, "id", 64)
        if client_id is None or not _CLIENT_ID.match(client_id):
            raise BadRequest(400, "id_required")
        typed = optional_str(data, "text", 2000)
        choice = optional_str(data, "choice", 120)
        command_name = optional_str(data, "command", 40)
        payload = optional_str(data, "payload", 200)
        label = optional_str(data, "label", 200)
        if sum(v is not None for v in (typed, choice, command_name)) != 1:
            raise BadRequest(400, "one_answer")
        key = ConversationKey(CHANNEL, user_key)
        message_id = f"{user_key}:{client_id}"
        if typed is not None:
            if not typed.strip():
                raise BadRequest(400, "empty")
            # the echo is kept in the mailbox: a PIN or an activation code never is
            return parse_line(typed, key, message_id), mask_app_secrets(typed), client_id
        if choice is not None:
            return Inbound(key, choice=choice, message_id=message_id), label or "", client_id
        command = page_command(str(command_name), payload, COMMANDS)
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
