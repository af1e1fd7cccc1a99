"""The fake Bot API server's chat methods: sending, editing, answering buttons.

Each one checks what Telegram checks and refuses the way Telegram does: 400 for an
unknown chat, bad HTML, a too long text or malformed markup; 403 when the person blocked
the bot; 429 with retry_after when the bot goes faster than the configured caps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.bot_api_checks import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    BadRequest,
    message_text,
    reply_markup,
)
from tests.fakes.bot_api_users import BotMessage, FakeUser

_PNG = b"\x89PNG\r\n\x1a\n"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class Cap:
    """A rate Telegram enforces: `per_second` on average, `burst` back to back."""

    per_second: float
    burst: int = 1


@dataclass(frozen=True)
class SecondCap:
    """Telegram's bot-wide limit as counted per second of the clock: `per_second` calls,
    and `burst` more tolerated; above that, 429 with retry_after until the next second."""

    per_second: int
    burst: int = 0


class Bucket:
    """GCRA: how long until the next message is allowed (0: now)."""

    def __init__(self, cap: Cap) -> None:
        self.interval = 1.0 / cap.per_second
        self.tolerance = (cap.burst - 1) * self.interval
        self.tat = 0.0

    def wait(self, now: float) -> float:
        return max(0.0, max(self.tat, now) - self.tolerance - now)

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval


class Refusal(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class ChatMethods:
    """Mixed into FakeBotApi, which holds the state these methods use."""

    bot_id: int
    username: str
    users: dict[int, FakeUser]
    chat_cap: Cap | None
    _bucket: Bucket | None
    _chat_buckets: dict[int, Bucket]
    _callbacks: dict[str, FakeUser]
    sent: list[BotMessage]
    throttled: list[tuple[int, str]]
    _notify: Callable[[], None]

    async def _m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._recipient(p)
        text, entities = message_text(p.get("text"), p.get("parse_mode"), MESSAGE_LIMIT)
        if not text.strip():
            raise BadRequest("message text is empty")
        markup = reply_markup(p.get("reply_markup"))
        self._pace(user.id, text)
        message = BotMessage(user.id, user.next_message_id(), text, entities, markup)
        return self._deliver(user, message)

    async def _m_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._recipient(p)
        photo = p.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = p.get(photo[len("attach://") :])
        if not isinstance(photo, bytes) or not photo.startswith(_PNG):
            raise BadRequest("wrong type of the web page content")  # what Telegram says
        caption, entities = message_text(p.get("caption") or "", p.get("parse_mode"), CAPTION_LIMIT)
        markup = reply_markup(p.get("reply_markup"))
        self._pace(user.id, caption)
        message = BotMessage(user.id, user.next_message_id(), caption, entities, markup, photo)
        return self._deliver(user, message)

    def _recipient(self, p: dict[str, Any]) -> FakeUser:
        try:
            user = self.users.get(int(p.get("chat_id", "")))
        except ValueError:
            user = None
        if user is None:
            raise BadRequest("chat not found")
        if user.blocked:
            raise Refusal(403, "Forbidden: bot was blocked by the user")
        return user

    def _pace(self, chat_id: int, text: str) -> None:
        now = time.monotonic()
        chat = None
        if self.chat_cap is not None:
            chat = self._chat_buckets.setdefault(chat_id, Bucket(self.chat_cap))
        wait = max(self._bucket.wait(now) if self._bucket else 0.0, chat.wait(now) if chat else 0.0)
        if wait > 0:
            self.throttled.append((chat_id, text))
            retry_after = max(1, math.ceil(wait))
            raise Refusal(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        if self._bucket:
            self._bucket.take(now)
        if chat:
            chat.take(now)

    def _deliver(self, user: FakeUser, message: BotMessage) -> dict[str, Any]:
        if message.markup and "keyboard" in message.markup:
            user.reply_keyboard = message.markup
        elif message.markup and message.markup.get("remove_keyboard"):
            user.reply_keyboard = None
        user.inbox.append(message)
        self.sent.append(message)
        self._notify()
        return self.message_dict(message)

    def message_dict(self, m: BotMessage) -> dict[str, Any]:
        user = self.users[m.chat_id]
        data: dict[str, Any] = {
            "message_id": m.message_id,
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "еГрађанин",
                "username": self.username,
            },
            "chat": user.as_chat(),
            "date": int(time.time()),
        }
        key = "caption" if m.photo is not None else "text"
        if m.text:
            data[key] = m.text
        if m.entities:
            data[f"{key}_entities" if m.photo is not None else "entities"] = m.entities
        if m.photo is not None:
            data["photo"] = [
                {
                    "file_id": f"photo{m.message_id}",
                    "file_unique_id": f"u{m.message_id}",
                    "width": 330,
                    "height": 330,
                }
            ]
        if m.markup and "inline_keyboard" in m.markup:
            data["reply_markup"] = {"inline_keyboard": m.markup["inline_keyboard"]}
        return data

    def _message(self, p: dict[str, Any]) -> BotMessage:
        user = self._recipient(p)
        wanted = int(p.get("message_id") or 0)
        for m in user.inbox:
            if m.message_id == wanted:
                return m
        raise BadRequest("message to edit not found")

    async def _m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        m = self._message(p)
        if m.photo is not None:
            raise BadRequest("there is no text in the message to edit")
        text, entities = message_text(p.get("text"), p.get("parse_mode"), MESSAGE_LIMIT)
        markup = reply_markup(p.get("reply_markup"))
        if (text, entities, markup) == (m.text, m.entities, _inline(m.markup)):
            raise BadRequest(_NOT_MODIFIED)
        m.text, m.entities, m.markup = text, entities, markup
        m.edits += 1
        return self.message_dict(m)

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        m = self._message(p)
        markup = reply_markup(p.get("reply_markup"))
        if markup == _inline(m.markup):
            raise BadRequest(_NOT_MODIFIED)
        m.markup = markup
        m.edits += 1
        return self.message_dict(m)

    async def _m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        user = self._callbacks.pop(str(p.get("callback_query_id")), None)
        if user is None:
            raise BadRequest("query is too old and response timeout expired or query ID is invalid")
        user.toasts.append(p.get("text"))
        return True


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and "inline_keyboard" in markup else None
