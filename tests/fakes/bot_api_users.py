"""Simulated Telegram users for the fake Bot API server: they type, press and share.

A FakeUser is what a person holding the Telegram app does: `send_text("...")`,
`press("Да")` (an inline button of a message in the chat, or a reply keyboard button),
`share_contact(...)`; and what the person sees: `await next_message()` waits for the bot's
next message in the chat, each with its text (as displayed) and its buttons.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.bot_api_server import FakeBotApi

_callback_ids = itertools.count(7_000_000_001)


@dataclass
class BotMessage:
    """A message the bot sent, as the chat shows it now (edits applied)."""

    chat_id: int
    message_id: int
    text: str  # the displayed text (or photo caption), HTML already parsed
    entities: list[dict[str, Any]]
    markup: dict[str, Any] | None  # reply_markup as sent
    photo: bytes | None = None
    sent_at: float = field(default_factory=time.monotonic)
    edits: int = 0

    @property
    def inline_buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard under the message, row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def reply_buttons(self) -> list[dict[str, Any]]:
        rows = (self.markup or {}).get("keyboard", [])
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def buttons(self) -> list[str]:
        """Every button label the message brings, inline or reply keyboard."""
        return [label for label, _ in self.inline_buttons] + [b["text"] for b in self.reply_buttons]

    @property
    def removes_keyboard(self) -> bool:
        return bool((self.markup or {}).get("remove_keyboard"))

    def bold(self) -> list[str]:
        """The parts of the text shown in bold."""
        units = self.text.encode("utf-16-le")
        return [
            units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.entities
            if e["type"] == "bold"
        ]

    def __str__(self) -> str:
        buttons = f" {self.buttons}" if self.buttons else ""
        return f"[{self.message_id}] {self.text!r}{buttons}"


class FakeUser:
    def __init__(
        self,
        api: FakeBotApi,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        phone: str,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone  # what the share-my-number button sends (Telegram: no '+')
        self.inbox: list[BotMessage] = []
        self.toasts: list[str | None] = []  # answers to pressed buttons (answerCallbackQuery)
        self.reply_keyboard: dict[str, Any] | None = None  # the reply keyboard on screen
        self.blocked = False
        self._read = 0
        self._message_ids = itertools.count(1)

    @property
    def chat_id(self) -> int:
        return self.id

    def as_from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    def next_message_id(self) -> int:
        return next(self._message_ids)

    # -- what the person does -----------------------------------------------------------

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": self.next_message_id(),
            "from": self.as_from(),
            "chat": self.as_chat(),
            "date": int(time.time()),
            **content,
        }

    async def send_text(self, text: str) -> int:
        """Type and send a message; returns the update id."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            content["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
        return self.api.push_update({"message": self._message(**content)})

    async def start(self, payload: str | None = None) -> int:
        """Open the bot (or a t.me/<bot>?start=<payload> link): the client sends /start."""
        return await self.send_text(f"/start {payload}" if payload else "/start")

    async def share_contact(
        self, phone: str | None = None, *, user_id: int | bool | None = True, first_name: str = ""
    ) -> int:
        """Share a contact card; user_id=True is the person's own (as the request-contact
        button sends it), another id or None is someone else's card from the address book."""
        contact: dict[str, Any] = {
            "phone_number": phone or self.phone,
            "first_name": first_name or self.first_name,
        }
        owner = self.id if user_id is True else user_id
        if isinstance(owner, int) and not isinstance(owner, bool):
            contact["user_id"] = owner
        return self.api.push_update({"message": self._message(contact=contact)})

    async def send_sticker(self) -> int:
        sticker = {
            "file_id": "CAACAgIAAxkBAAEBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.api.push_update({"message": self._message(sticker=sticker)})

    async def send_voice(self) -> int:
        voice = {"file_id": "AwACAgIAAxkBAAvoice", "file_unique_id": "AgADvoice", "duration": 3}
        return self.api.push_update({"message": self._message(voice=voice)})

    async def send_photo(self) -> int:
        size = {
            "file_id": "AgACAgIAAxkBAAphoto",
            "file_unique_id": "AQADphoto",
            "width": 90,
            "height": 90,
        }
        return self.api.push_update({"message": self._message(photo=[size])})

    async def press(self, label: str) -> int:
        """Press a button on screen: the latest inline button with this label, else a button
        of the reply keyboard; a part of a button's text will do (the first such button).
        Raises LookupError when no such button is on screen."""
        for exact in (True, False):
            for message in reversed(self.inbox):
                found = [
                    data for text, data in message.inline_buttons if _matches(text, label, exact)
                ]
                if found:
                    return self.press_inline(message, found[0])
            keyboard = self.reply_keyboard or {}
            for row in keyboard.get("keyboard", []):
                for b in row:
                    spec = b if isinstance(b, dict) else {"text": b}
                    if not _matches(spec["text"], label, exact):
                        continue
                    if keyboard.get("one_time_keyboard"):
                        self.reply_keyboard = None  # the client hides a one-time keyboard
                    if spec.get("request_contact"):
                        return await self.share_contact()
                    return await self.send_text(spec["text"])
        raise LookupError(f"no button {label!r} on screen; the last message: {self.last()}")

    def press_inline(self, message: BotMessage, data: str) -> int:
        """Press an inline button of this message (as the message looked when shown)."""
        query_id = str(next(_callback_ids))
        query = {
            "id": query_id,
            "from": self.as_from(),
            "message": self.api.message_dict(message),
            "chat_instance": f"-{self.id}",
            "data": data,
        }
        self.api.open_callback(query_id, self)
        return self.api.push_update({"callback_query": query})

    # -- what the person sees -----------------------------------------------------------

    def last(self) -> BotMessage | None:
        return self.inbox[-1] if self.inbox else None

    def unread(self) -> list[BotMessage]:
        """Messages not yet taken with next_message(), marked read now."""
        fresh = self.inbox[self._read :]
        self._read = len(self.inbox)
        return fresh

    async def next_message(self, wait_s: float = 10.0) -> BotMessage:
        """The bot's next message in this chat (waits for it)."""
        try:
            await self.api.wait_until(lambda: len(self.inbox) > self._read, wait_s)
        except TimeoutError:
            raise AssertionError(
                f"user {self.id} got no message in {wait_s}s; the last: {self.last()}"
            ) from None
        message = self.inbox[self._read]
        self._read += 1
        return message

    async def next_messages(self, count: int, wait_s: float = 10.0) -> list[BotMessage]:
        return [await self.next_message(wait_s) for _ in range(count)]


def _matches(text: str, label: str, exact: bool) -> bool:
    return text == label if exact else label.casefold() in text.casefold()
