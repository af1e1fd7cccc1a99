"""A Telegram update (the Bot API's JSON) as the engine's Inbound.

Only private chats are served: registration data does not belong in a group. A shared
contact counts as the phone number only when it is the sender's own (Telegram sets
contact.user_id to the sender when the request-contact button is used); anything the
engine cannot read (stickers, photos, voice) arrives with nothing set, and the engine
answers it politely.

The update is read straight from its JSON: PTB's Update objects cost more CPU to build
than the engine spends on the whole message, and only these few fields are used. A
body that is not an update the way the Bot API sends one is Malformed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Any

from bot.command_text import read_command
from bot.contact import international
from bot.telegram.chats import ChatMemory, ChatState, ChoiceIds
from flows.engine.messages import ConversationKey, Inbound

CHANNEL = "telegram"
PRIVATE = "private"

Json = dict[str, Any]


class Malformed(ValueError):
    """Not an update the way the Bot API sends one."""


@dataclass(frozen=True, slots=True)
class Shown:
    """A message of ours as a pressed button's query shows it."""

    message_id: int
    text: str | None
    entities: tuple[Json, ...]
    buttons: tuple[tuple[str, str | None], ...]  # (label, callback_data) of its keyboard

    @property
    def text_html(self) -> str | None:
        """The text as HTML that shows it again the same way. Our messages carry no
        formatting (rendering escapes everything), so the plain text, escaped, is it."""
        if self.text is None:
            return None
        if any(e.get("type") in _FORMATTING for e in self.entities):
            return None  # not one of ours as sent: not rewritten
        return html.escape(self.text)

    def label(self, data: str | None) -> str | None:
        return next((label for label, d in self.buttons if d == data and data), None)


# Entities Telegram adds by itself (links, numbers...) show the same without any markup.
_FORMATTING = frozenset(
    (
        *("bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre"),
        *("text_link", "text_mention", "custom_emoji", "blockquote", "expandable_blockquote"),
        "date_time",
    )
)


@dataclass(frozen=True, slots=True)
class Pressed:
    """A pressed inline button: the query to answer, the message it was under (None
    when Telegram no longer gives it)."""

    query_id: str
    data: str | None
    message: Shown | None


@dataclass(frozen=True, slots=True)
class Incoming:
    """What arrived: an Inbound for the engine, or a refusal the channel answers itself."""

    chat_id: int
    inbound: Inbound
    refusal: str | None = None  # catalog key of the channel's own answer, engine not asked
    callback: Pressed | None = None  # a pressed inline button, to answer and clear


def conversation_key(chat_id: int) -> ConversationKey:
    return ConversationKey(CHANNEL, str(chat_id))


def update_id(update: Json) -> int:
    uid = update.get("update_id")
    if not isinstance(uid, int) or isinstance(uid, bool):
        raise Malformed("no update_id")
    return uid


def update_chat(update: Json) -> int | None:
    """The chat the update belongs to (None: no chat, e.g. a button under a message
    Telegram no longer gives); raises Malformed when the parts we read are not there."""
    update_id(update)
    message = update.get("message")
    if message is not None:
        return _chat_of(_message(message))
    query = update.get("callback_query")
    if query is not None:
        query = _dict(query)
        _text(query, "id")
        _dict(query.get("from"))
        shown = query.get("message")
        return _chat_of(_dict(shown)) if shown is not None else None
    return None


def read_update(update: Json, memory: ChatMemory, ids: ChoiceIds) -> Incoming | None:
    """None for what we do not serve: groups, channels, edits, service updates."""
    query, message = update.get("callback_query"), update.get("message")
    chat, sender = _who(update)
    if chat is None or sender is None or chat.get("type") != PRIVATE:
        return None
    chat_id = int(chat["id"])
    base = Inbound(
        key=conversation_key(chat_id),
        message_id=f"tg:{chat_id}:{update['update_id']}",
        language_hint=sender.get("language_code"),
    )
    if query is not None:
        pressed = Pressed(query["id"], query.get("data"), _shown(query.get("message")))
        choice = ids.decode(pressed.data or "")
        if choice is None:
            return Incoming(chat_id, base, refusal="telegram.button_stale", callback=pressed)
        return Incoming(chat_id, replace(base, choice=choice), callback=pressed)
    if message is not None:
        return _read_message(message, base, chat_id, sender.get("id"), memory(chat_id))
    return None


def _who(update: Json) -> tuple[Json | None, Json | None]:
    """The chat and the sender, as PTB's effective_chat and effective_user."""
    query, message = update.get("callback_query"), update.get("message")
    if query is not None:
        shown = query.get("message")
        return (shown.get("chat") if shown else None), query.get("from")
    if message is not None:
        return message.get("chat"), message.get("from")
    return None, None


def _read_message(
    message: Json, base: Inbound, chat_id: int, sender_id: object, chat: ChatState
) -> Incoming:
    contact = message.get("contact")
    if isinstance(contact, dict):
        if contact.get("user_id") != sender_id:
            return Incoming(chat_id, base, refusal="telegram.contact_not_yours")
        chat.reply_keyboard = False  # the share button's one-time keyboard hid itself
        phone = international(str(contact.get("phone_number", "")))
        return Incoming(chat_id, replace(base, contact=phone))
    text = message.get("text")
    if not isinstance(text, str):
        return Incoming(chat_id, base)  # a sticker, photo, voice message, ...
    typed = read_command(text)
    if typed is not None:
        return Incoming(chat_id, replace(base, command=typed[0], payload=typed[1]))
    choice = chat.reply_buttons.get(text.strip())
    if choice is not None:  # a reply keyboard button: it sends its label as text
        chat.reply_keyboard = False
        return Incoming(chat_id, replace(base, choice=choice))
    return Incoming(chat_id, replace(base, text=text))


def _shown(message: Json | None) -> Shown | None:
    """The message a query came from; None when inaccessible (Telegram sends date 0)."""
    if not message or not message.get("date"):
        return None
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return Shown(
        int(message["message_id"]),
        message.get("text"),
        tuple(message.get("entities") or ()),
        tuple((b.get("text", ""), b.get("callback_data")) for row in rows for b in row),
    )


def _message(value: object) -> Json:
    message = _dict(value)
    for field in ("message_id", "date"):
        if not isinstance(message.get(field), int):
            raise Malformed(f"message without {field}")
    return message


def _chat_of(message: Json) -> int:
    chat = _dict(message.get("chat"))
    if not isinstance(chat.get("id"), int) or not isinstance(chat.get("type"), str):
        raise Malformed("message without a chat")
    return int(chat["id"])


def _dict(value: object) -> Json:
    if not isinstance(value, dict):
        raise Malformed("object expected")
    return value


def _text(value: Json, field: str) -> str:
    found = value.get(field)
    if not isinstance(found, str):
        raise Malformed(f"{field} expected")
    return found
