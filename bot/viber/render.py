"""An engine Outbound as Viber messages: text, a keyboard, a QR code as a picture.

Rendering is pure; sending is the shared sender's job (bot/sending.py). Viber's limits
(REST bot API, send_message): a text message holds at most 7,000 characters, so a longer
text goes as several messages, cut on paragraph, line and word boundaries; a picture's
`text` is a short description (at most 120 characters), so a QR code goes as a picture
after the text that explains it; the keyboard rides on the last message, and every
message carries the keyboard's tracking_data (Viber returns that of the last message).
A whole message must stay under 30 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.text import split_text
from bot.viber.keyboard import SHARE_PHONE_API, Keys, choice_keys, keyboard_for
from bot.viber.pictures import PictureLinks
from flows.engine.i18n import render, text
from flows.engine.messages import Expect, Outbound
from flows.engine.present import NO, YES

TEXT_LIMIT = 7000
PICTURE_TEXT_LIMIT = 120
SENDER_NAME_LIMIT = 28  # sender.name, "Max 28 characters"


@dataclass(frozen=True, slots=True)
class ViberMessage:
    """One message to send, without its receiver and sender (the transport adds them)."""

    type: str  # "text" or "picture"
    text: str
    media: str | None = None
    keyboard: dict[str, Any] | None = None
    tracking: str | None = None
    min_api_version: int = 1

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.media is not None:
            data["media"] = self.media
        if self.keyboard is not None:
            data["keyboard"] = self.keyboard
        if self.tracking is not None:
            data["tracking_data"] = self.tracking
        if self.min_api_version > 1:
            data["min_api_version"] = self.min_api_version
        return data


def sender_name(name: str) -> str:
    """The bot's name as Viber shows it over each message: at most 28 characters."""
    name = " ".join(name.split())
    return name if len(name) <= SENDER_NAME_LIMIT else name[: SENDER_NAME_LIMIT - 1] + "…"


class Renderer:
    def __init__(self, pictures: PictureLinks) -> None:
        self._pictures = pictures
        # A QR code of a link into this very bot is for other screens (the kiosk): in the
        # chat it would only point back to itself, so it is left out.
        self.own_link: str | None = None

    def render(
        self, outbound: Outbound, *, origin: str | None = None, page: int = 0
    ) -> list[ViberMessage]:
        """`origin`: the inbound id the reply was recorded under (a long list's pages are
        read back from it)."""
        lang = outbound.language
        paragraphs = [p for p in (render(m, lang) for m in outbound.text) if p.strip()]
        keyboard, keys, api = self._keyboard(outbound, origin, page)
        if keyboard is not None and not paragraphs:
            paragraphs = [text("viber.choose", lang)]  # Viber wants text with a keyboard
        messages = [
            ViberMessage("text", piece) for piece in split_text("\n\n".join(paragraphs), TEXT_LIMIT)
        ]
        qr = outbound.qr
        if qr is not None and not (self.own_link and qr.startswith(self.own_link)):
            messages.append(ViberMessage("picture", "", media=self._pictures.url(qr)))
        if not messages:
            return []
        tracking = keys.encode() if keys is not None else None
        last = len(messages) - 1
        return [
            ViberMessage(
                m.type,
                m.text,
                m.media,
                keyboard if i == last else None,
                tracking,
                api if i == last else 1,
            )
            for i, m in enumerate(messages)
        ]

    def page(self, outbound: Outbound, origin: str, page: int) -> list[ViberMessage]:
        """One page of a long list of choices, on its own."""
        keyboard, keys, _ = self._keyboard(outbound, origin, page)
        if keyboard is None or keys is None:
            return []
        line = text("viber.page", outbound.language, page=str(keys.page + 1), pages=str(keys.pages))
        return [ViberMessage("text", line, keyboard=keyboard, tracking=keys.encode())]

    def _keyboard(
        self, outbound: Outbound, origin: str | None, page: int
    ) -> tuple[dict[str, Any] | None, Keys | None, int]:
        choices = outbound.choices
        if not choices and outbound.expect is Expect.YES_NO:
            choices = (YES, NO)
        phone = outbound.expect is Expect.PHONE
        if not choices and not phone:
            return None, None, 1
        keys = choice_keys(choices, outbound.language, page, origin, phone=phone)
        return keyboard_for(keys), keys, api_version(keys)


def api_version(keys: Keys) -> int:
    return SHARE_PHONE_API if keys.phone else 1


def welcome(messages: list[ViberMessage]) -> ViberMessage | None:
    """Viber lets a bot send one message to someone who opened the chat and has not
    subscribed (the answer to conversation_started): the texts joined, within the limit,
    with the last keyboard. A picture cannot be part of it."""
    texts = [m.text for m in messages if m.type == "text" and m.text.strip()]
    if not texts:
        return None
    joined = split_text("\n\n".join(texts), TEXT_LIMIT)[0]
    last = messages[-1]
    keyboard = next((m.keyboard for m in reversed(messages) if m.keyboard is not None), None)
    api = max(m.min_api_version for m in messages)
    return ViberMessage(
        "text", joined, keyboard=keyboard, tracking=last.tracking, min_api_version=api
    )
