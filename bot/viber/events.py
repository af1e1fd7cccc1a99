"""Viber's callbacks, read: which event, from whom, and what the person sent.

The callbacks (REST bot API, "Callbacks"): webhook, conversation_started, subscribed,
unsubscribed, message, delivered, seen, failed; each a JSON object with `event` and
`timestamp` (ms). A person is `sender` in message, `user` in conversation_started and
subscribed, `user_id` in the others. `message_token` identifies the event: Viber sends
the same token again when it retries, so it is the engine's idempotency key.

A message is text (a typed answer, a /command, or the label of a keyboard button: the
keyboard's tracking_data says which choice it is), a contact (the share-phone button's:
only the person's own number counts), or something the bot cannot read (picture, video,
file, sticker, location, URL), answered politely with what is expected instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.command_text import read_command
from bot.contact import international
from bot.viber.keyboard import Keys, read_press
from flows.engine.messages import Command, ConversationKey, Inbound

CHANNEL = "viber"
RECEIPTS = frozenset({"delivered", "seen", "failed"})
# What the bot cannot read, each answered with its own line before the question again.
UNREADABLE = frozenset({"picture", "video", "file", "sticker", "location", "url", "rich_media"})


class Malformed(ValueError):
    """Not a callback Viber sends: answered 400, nothing processed."""


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    at: datetime
    user_id: str | None = None
    token: str | None = None  # message_token
    language: str | None = None
    context: str | None = None  # conversation_started from a deep link
    message: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """What arrived: an Inbound for the engine, or something the channel answers alone."""

    user_id: str
    inbound: Inbound
    refusal: str | None = None  # catalog key of the channel's own answer, engine not asked
    note: str | None = None  # catalog key said before the engine's answer
    page: int | None = None  # a page-turning button: show that page of the list
    keys: Keys | None = None


def conversation_key(user_id: str) -> ConversationKey:
    return ConversationKey(CHANNEL, user_id)


def parse_event(data: object) -> Event:
    """Raises Malformed for what Viber never sends; an unknown event name is fine."""
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise Malformed("not a Viber callback")
    name = str(data["event"])
    timestamp = data.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        raise Malformed("no timestamp")
    at = datetime.fromtimestamp(timestamp / 1000, UTC)
    event = Event(name, at, token=_token(data.get("message_token")))
    if name == "message":
        person = _person(data.get("sender"))
        message = data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Malformed("a message without a type")
        return replace(event, user_id=person[0], language=person[1], message=message)
    if name in ("conversation_started", "subscribed"):
        person = _person(data.get("user"))
        context = data.get("context")
        return replace(
            event,
            user_id=person[0],
            language=person[1],
            context=context if isinstance(context, str) and context else None,
        )
    if name in RECEIPTS or name == "unsubscribed":
        user_id = data.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise Malformed(f"{name} without a user_id")
        return replace(event, user_id=user_id)
    return event


def _person(data: object) -> tuple[str, str | None]:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise Malformed("no person")
    language = data.get("language")
    return str(data["id"]), language if isinstance(language, str) else None


def _token(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value)
    return None


def read_message(event: Event) -> Incoming:
    """A `message` or `conversation_started` event as what the engine is asked."""
    assert event.user_id is not None
    base = Inbound(
        key=conversation_key(event.user_id),
        message_id=event.token,
        language_hint=event.language,
    )
    if event.name == "conversation_started":
        return Incoming(event.user_id, replace(base, command=Command.START, payload=event.context))
    message = event.message or {}
    kind = str(message.get("type"))
    keys = Keys.decode(_str(message.get("tracking_data")))
    if kind == "text":
        return _text(event.user_id, base, _str(message.get("text")) or "", keys)
    if kind == "contact":
        return _contact(event.user_id, base, message.get("contact"), keys)
    note = f"viber.unsupported.{kind}" if kind in UNREADABLE else "viber.unsupported.other"
    return Incoming(event.user_id, base, note=note, keys=keys)


def _text(user_id: str, base: Inbound, typed: str, keys: Keys | None) -> Incoming:
    command = read_command(typed)
    if command is not None:
        return Incoming(user_id, replace(base, command=command[0], payload=command[1]), keys=keys)
    press = read_press(typed, keys)
    if press is not None and press.choice is not None:
        return Incoming(user_id, replace(base, choice=press.choice), keys=keys)
    if press is not None and press.page is not None:
        return Incoming(user_id, base, page=press.page, keys=keys)
    return Incoming(user_id, replace(base, text=typed), keys=keys)


def _contact(user_id: str, base: Inbound, contact: object, keys: Keys | None) -> Incoming:
    """The share-phone button sends the person's own number with no name (a contact card
    from the address book carries its name: Viber/viber-bot-java#4); Viber's desktop app
    sends the button without a number."""
    card = contact if isinstance(contact, dict) else {}
    phone = _str(card.get("phone_number")) or ""
    if not phone.strip():
        return Incoming(user_id, base, refusal="viber.phone_not_shared", keys=keys)
    if _str(card.get("name")):
        return Incoming(user_id, base, refusal="viber.contact_not_yours", keys=keys)
    return Incoming(user_id, replace(base, contact=international(phone)), keys=keys)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
