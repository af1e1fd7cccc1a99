"""An engine Outbound as Telegram messages: HTML text, keyboards, a QR code photo.

Rendering is pure; sending is sender.py's job. Every text from the catalogs and every
value in it (names, answers the person typed) is HTML-escaped: the only markup in a
message is what this module adds itself. Keyboards are built as the Bot API's JSON
(reply_markup) right away: they go out as they are, with no objects to convert per send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.telegram.chats import ChoiceIds
from bot.telegram.text import CAPTION_LIMIT, MESSAGE_LIMIT, escape, telegram_length
from bot.text import split_text
from flows.engine.i18n import render, text
from flows.engine.messages import Choice, Expect, Msg, Outbound, is_page_turn

Markup = dict[str, Any]  # reply_markup as the Bot API takes it
REMOVE_KEYBOARD: Markup = {"remove_keyboard": True}  # ReplyKeyboardRemove


def is_inline(markup: Markup | None) -> bool:
    """An inline keyboard (buttons under the message), not a reply keyboard."""
    return markup is not None and "inline_keyboard" in markup


# A yes/no question without choices of its own gets the engine's own yes and no.
YES_NO = (Choice("yes", Msg("choice.yes")), Choice("no", Msg("choice.no")))
_SHORT_LABEL = 14  # labels this short sit two to a row (yes/no side by side)
_TINY_LABEL = 5  # and these four to a row (the times of a visit: 08:00)


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One message to send: HTML text, or a QR photo with the text as its caption."""

    text: str
    markup: Markup | None = None
    qr: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    messages: tuple[TelegramMessage, ...]
    reply_buttons: dict[str, str]  # reply keyboard button text -> choice id
    reply_keyboard: bool | None  # a reply keyboard shown (True), removed (False), untouched


class Renderer:
    def __init__(self, choice_ids: ChoiceIds) -> None:
        self._ids = choice_ids
        # A QR code of a link into this very bot is for other screens (the kiosk): in the
        # chat it would only point back to itself, so it is left out.
        self.own_link: str | None = None

    def render(
        self, outbound: Outbound, *, reply: bool, reply_keyboard_shown: bool = False
    ) -> Rendered:
        """`reply`: an answer in a conversation (it may remove a reply keyboard); otherwise
        a notification, which leaves the keyboard of the step the person is at alone."""
        lang = outbound.language
        qr = outbound.qr
        if qr is not None and self.own_link is not None and qr.startswith(self.own_link):
            qr = None
        paragraphs = [p for p in (render(m, lang) for m in outbound.text) if p.strip()]
        choices = outbound.choices
        if not choices and outbound.expect is Expect.YES_NO:
            choices = YES_NO
        buttons: dict[str, str] = {}
        keyboard: bool | None = None
        markup: Markup | None
        if outbound.expect is Expect.PHONE:
            markup, buttons = self._phone_keyboard(choices, lang)
            keyboard = True
        elif choices:
            markup = self._inline_keyboard(choices, lang)
        elif reply:
            markup, keyboard = REMOVE_KEYBOARD, False
        else:
            markup = None
        if not paragraphs and qr is None and markup is not REMOVE_KEYBOARD:
            if markup is None:
                return Rendered((), buttons, keyboard)
            paragraphs = [text("telegram.choose", lang)]  # Telegram wants text over buttons

        head: list[TelegramMessage] = []
        if is_inline(markup) and reply and reply_keyboard_shown and len(paragraphs) > 1:
            # An inline keyboard cannot also take the reply keyboard away: the earlier
            # paragraphs carry the removal, the question keeps its buttons.
            head = _messages(paragraphs[:-1], REMOVE_KEYBOARD)
            paragraphs = paragraphs[-1:]
            keyboard = False
        body = "\n\n".join(paragraphs)
        if qr is not None:
            tail = _with_photo(body, markup, qr)
        else:
            tail = _messages(split_text(body, MESSAGE_LIMIT), markup)
        return Rendered(tuple(head + tail), buttons, keyboard)

    def _inline_keyboard(self, choices: tuple[Choice, ...], lang: str) -> Markup:
        """The answers in rows, as many to a row as their labels allow; page turns (to
        earlier and later times) in a row of their own under them."""
        answers = self._buttons([c for c in choices if not is_page_turn(c.id)], lang)
        turns = self._buttons([c for c in choices if is_page_turn(c.id)], lang)
        longest = max((len(b["text"]) for b in answers), default=0)
        per_row = 4 if longest <= _TINY_LABEL else 2 if longest <= _SHORT_LABEL else 1
        rows = [answers[i : i + per_row] for i in range(0, len(answers), per_row)]
        return {"inline_keyboard": [*rows, turns] if turns else rows}

    def _buttons(self, choices: list[Choice], lang: str) -> list[dict[str, str]]:
        return [
            {"text": render(c.label, lang), "callback_data": self._ids.encode(c.id)}
            for c in choices
        ]

    def _phone_keyboard(
        self, choices: tuple[Choice, ...], lang: str
    ) -> tuple[Markup, dict[str, str]]:
        """A button that shares the person's own number; typing it stays possible, and
        the step's other choices (skip, help, cancel) become buttons that send their text."""
        share = {"text": text("telegram.share_phone", lang), "request_contact": True}
        buttons = {render(c.label, lang): c.id for c in choices}
        rows: list[list[dict[str, Any]]] = [[share]]
        rows += [[{"text": label}] for label in buttons]
        markup = {
            "keyboard": rows,
            "resize_keyboard": True,
            "one_time_keyboard": True,
            "input_field_placeholder": text("telegram.phone_placeholder", lang)[:64],
        }
        return markup, buttons


def _messages(pieces: list[str], markup: Markup | None) -> list[TelegramMessage]:
    """Escaped messages, the keyboard on the last one (the one the question ends with)."""
    last = len(pieces) - 1
    return [
        TelegramMessage(escape(piece), markup if i == last else None)
        for i, piece in enumerate(pieces)
    ]


def _with_photo(body: str, markup: Markup | None, qr: str) -> list[TelegramMessage]:
    if telegram_length(body) <= CAPTION_LIMIT:
        return [TelegramMessage(escape(body), markup, qr)]
    # Too long for a caption: the text first, then the code with the keyboard under it.
    return [*_messages(split_text(body, MESSAGE_LIMIT), None), TelegramMessage("", markup, qr)]
