"""Simulated Viber users for the fake Viber API: they open the chat, type, press, share.

A ViberUser does what a person holding the Viber app does: `open_chat()` (from the bot's
page or a deep link: conversation_started), `send_text("...")`, `press("Да")` (a button of
the keyboard on screen: Viber shows the keyboard of the last message received),
`share_phone()`, `share_contact(...)`, `send_picture()`, `subscribe()`, `unsubscribe()`.
"The client will always display the last keyboard that was sent to it" (Viber's keyboards
doc): a message without one leaves it on screen. The tracking_data Viber returns with the
person's message is the last message's (none, if that one had none).
Each action is a signed callback to the bot's webhook, retried by the fake as Viber
retries; it returns once the bot answered it. What the person sees: `inbox`, `unread()`.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.viber_api import FakeViberApi

_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Received:
    """A message the bot sent, as the person's chat shows it."""

    type: str
    text: str
    media: str | None
    keyboard: dict[str, Any] | None
    tracking: str | None
    token: int
    min_api_version: int = 1
    sent_at: float = field(default_factory=time.monotonic)
    welcome: bool = False

    @property
    def buttons(self) -> list[str]:
        """The keyboard's button labels as shown (markup removed)."""
        return [_shown(b) for b in (self.keyboard or {}).get("Buttons", [])]


def _shown(button: dict[str, Any]) -> str:
    return html.unescape(_TAGS.sub("", str(button.get("Text", ""))))


class ViberUser:
    def __init__(
        self,
        api: FakeViberApi,
        user_id: str,
        name: str,
        language: str = "sr",
        phone: str = "+381641234567",
        api_version: int = 10,
        desktop: bool = False,
    ) -> None:
        self.api = api
        self.id = user_id
        self.name = name
        self.language = language
        self.phone = phone
        self.api_version = api_version
        self.desktop = desktop  # Viber's desktop app shares no number
        self.subscribed = False
        self.inbox: list[Received] = []
        self._read = 0
        self.unanswered = 0  # messages received since the person last wrote

    # -- what the person sees -----------------------------------------------------------

    def receive(self, message: Received) -> None:
        self.inbox.append(message)
        self.unanswered += 1

    def unread(self) -> list[Received]:
        new = self.inbox[self._read :]
        self._read = len(self.inbox)
        return new

    def last(self) -> Received | None:
        return self.inbox[-1] if self.inbox else None

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The last keyboard the bot sent: Viber keeps showing it."""
        return next((m.keyboard for m in reversed(self.inbox) if m.keyboard), None)

    @property
    def buttons(self) -> list[str]:
        """The labels of the keyboard on screen."""
        return [_shown(b) for b in (self.keyboard or {}).get("Buttons", [])]

    def _tracking(self) -> str | None:
        last = self.last()
        return last.tracking if last else None

    # -- what the person does -----------------------------------------------------------

    def _person(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "avatar": "https://avatar.example/1.jpg",
            "language": self.language,
            "country": "RS",
            "api_version": self.api_version,
        }

    async def open_chat(self, context: str | None = None) -> int:
        """conversation_started: the bot may answer with one (welcome) message."""
        event: dict[str, Any] = {
            "event": "conversation_started",
            "type": "open",
            "user": self._person(),
            "subscribed": self.subscribed,
        }
        if context is not None:
            event["context"] = context
        return await self.api.callback(event, welcome_for=self)

    async def _message(self, message: dict[str, Any]) -> int:
        tracking = self._tracking()
        if tracking is not None:
            message["tracking_data"] = tracking
        self.subscribed = True  # writing subscribes (no `subscribed` callback for it)
        self.unanswered = 0
        return await self.api.callback(
            {"event": "message", "sender": self._person(), "message": message}
        )

    async def send_text(self, text: str) -> int:
        return await self._message({"type": "text", "text": text})

    async def press(self, label: str) -> int:
        """Press the button of the keyboard on screen whose label contains `label`."""
        buttons = (self.keyboard or {}).get("Buttons", [])
        found = [b for b in buttons if label.casefold() in _shown(b).casefold()]
        if not found:
            raise AssertionError(f"no button {label!r} on screen: {[_shown(b) for b in buttons]}")
        button = found[0]
        if button.get("ActionType") == "share-phone":
            return await self.share_phone()
        return await self._message({"type": "text", "text": button["ActionBody"]})

    async def share_phone(self) -> int:
        """The share-phone button: the person's own number, no name (none on desktop)."""
        return await self._message(
            {"type": "contact", "contact": {"phone_number": "" if self.desktop else self.phone}}
        )

    async def share_contact(self, phone: str, name: str) -> int:
        """A contact card from the address book, through the attachment menu."""
        return await self._message(
            {"type": "contact", "contact": {"name": name, "phone_number": phone}}
        )

    async def send_picture(self) -> int:
        return await self._message(
            {"type": "picture", "text": "", "media": "https://media.example/p.jpg"}
        )

    async def send_sticker(self) -> int:
        return await self._message({"type": "sticker", "sticker_id": 46105})

    async def send_location(self) -> int:
        return await self._message({"type": "location", "location": {"lat": 44.01, "lon": 20.91}})

    async def send_file(self) -> int:
        return await self._message(
            {"type": "file", "media": "https://media.example/f.pdf", "file_name": "f.pdf"}
        )

    async def subscribe(self) -> int:
        self.subscribed = True
        return await self.api.callback({"event": "subscribed", "user": self._person()})

    async def unsubscribe(self) -> int:
        self.subscribed = False
        return await self.api.callback({"event": "unsubscribed", "user_id": self.id})
