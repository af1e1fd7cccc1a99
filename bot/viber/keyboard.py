"""Choices as a Viber keyboard of `reply` buttons, paged when they are many.

Viber's keyboard (developers.viber.com/docs/tools/keyboards) is a grid six columns wide;
a button spans 1-6 columns and 1-2 rows, its Text may hold a few HTML tags and at most
250 characters, and Viber crops what does not fit. A keyboard holds at most 24 buttons
(docs.mavibot.ai/chatbot/builder/buttons/limits: "24 reply buttons"), so a longer list
(the visit times of a day, the halls) is shown a page at a time, with buttons to turn
the page. Pressing a `reply` button sends its ActionBody as the person's message: we
send the label itself, so the chat reads as what the person chose.

Which choice a label stands for travels with the message in its tracking_data (at most
4,000 characters; Viber returns the tracking_data of the last message with the person's
answer): so whichever process receives the answer knows it, with nothing kept in
memory. A page turn re-reads the whole list from the reply the store recorded for the
message that showed it (`origin`).

Colours: the main choices are Viber's purple with white text (contrast 10.5:1), the
ways out (skip, back, cancel, help, menu) light grey with near-black text (14.1:1); both
well above WCAG AA's 4.5:1.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from flows.engine.i18n import render, text
from flows.engine.messages import Choice

MAX_BUTTONS = 24
PER_PAGE = MAX_BUTTONS - 2  # a page of a long list leaves room to turn back and forth
TEXT_LIMIT = 250  # a button's Text, tags included
TRACKING_LIMIT = 4000
SHOWN_LABEL = 60  # longer labels are shown cut (the full one is still what is sent)
ONE_ROW_LABEL = 30  # a full-width button shows about this much on one line

PRIMARY = ("#59267C", "#FFFFFF")  # background, text
SECONDARY = ("#ECE8F2", "#1F1A24")
KEYBOARD_BG = "#FFFFFF"
SHARE_PHONE_API = 3  # share-phone buttons need min_api_version 3 (the keyboards doc)


@dataclass(frozen=True, slots=True)
class Keys:
    """A keyboard as its message's tracking_data describes it: enough to know what a
    pressed button means and to show the same keyboard again."""

    language: str
    labels: dict[str, str]  # label sent by a button -> choice id, in the order shown
    page: int = 0
    pages: int = 1
    origin: str | None = None  # the inbound id whose recorded reply lists every choice
    phone: bool = False  # with the share-phone button

    def encode(self) -> str:
        data: dict[str, Any] = {"l": self.language, "c": self.labels}
        if self.pages > 1:
            data.update(p=self.page, n=self.pages, r=self.origin)
        if self.phone:
            data["ph"] = 1
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        while len(encoded) > TRACKING_LIMIT and data["c"]:
            # Too long to carry every label: the rest still works when typed, as text.
            data["c"] = dict(list(data["c"].items())[:-1])
            encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return encoded

    @staticmethod
    def decode(tracking: str | None) -> Keys | None:
        if not tracking:
            return None
        try:
            data = json.loads(tracking)
            labels = {str(k): str(v) for k, v in dict(data["c"]).items()}
            origin = data.get("r")
            return Keys(
                str(data["l"]),
                labels,
                int(data.get("p", 0)),
                int(data.get("n", 1)),
                origin if isinstance(origin, str) else None,
                bool(data.get("ph")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True, slots=True)
class Press:
    choice: str | None = None  # a choice's button
    page: int | None = None  # a page-turning button: show this page


def read_press(typed: str, keys: Keys | None) -> Press | None:
    """What a text is, given the keyboard it answers: a choice, a page turn, or neither."""
    if keys is None:
        return None
    label = typed.strip()
    choice = keys.labels.get(label)
    if choice is not None:
        return Press(choice=choice)
    if keys.pages > 1 and label == text("viber.page_next", keys.language):
        return Press(page=min(keys.page + 1, keys.pages - 1))
    if keys.pages > 1 and label == text("viber.page_previous", keys.language):
        return Press(page=max(keys.page - 1, 0))
    return None


def pages_of(choices: tuple[Choice, ...]) -> int:
    if len(choices) <= MAX_BUTTONS:
        return 1
    return -(-len(choices) // PER_PAGE)


def choice_keys(
    choices: tuple[Choice, ...],
    language: str,
    page: int = 0,
    origin: str | None = None,
    phone: bool = False,
) -> Keys:
    """One page of the choices (all of them, when they fit one keyboard)."""
    pages = 1 if phone else pages_of(choices)
    page = max(0, min(page, pages - 1))
    shown = choices if pages == 1 else choices[page * PER_PAGE : (page + 1) * PER_PAGE]
    labels = {_label(c, language): c.id for c in shown}
    return Keys(language, labels, page, pages, origin if pages > 1 else None, phone)


def keyboard_for(keys: Keys) -> dict[str, Any]:
    """The keyboard the keys describe: a share-phone button first when asked for the
    phone (typing the number stays possible), then the choices, then the page turns."""
    main = [label for label, choice in keys.labels.items() if not _secondary(choice)]
    buttons: list[dict[str, Any]] = []
    if keys.phone:
        share = _button(text("viber.share_phone", keys.language), PRIMARY, 6)
        share.update(ActionType="share-phone", ActionBody="share-phone")
        buttons.append(share)
    for label, choice in keys.labels.items():
        secondary = keys.phone or _secondary(choice)
        columns = 3 if keys.phone and len(label) <= 14 else _columns(main, label, choice)
        buttons.append(_button(label, SECONDARY if secondary else PRIMARY, columns))
    if keys.pages > 1 and keys.page > 0:
        buttons.append(_button(text("viber.page_previous", keys.language), SECONDARY, 3))
    if keys.pages > 1 and keys.page < keys.pages - 1:
        buttons.append(_button(text("viber.page_next", keys.language), SECONDARY, 3))
    # InputFieldState stays "regular": typing an answer is always possible.
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "BgColor": KEYBOARD_BG,
        "InputFieldState": "regular",
        "Buttons": buttons,
    }


def _label(choice: Choice, language: str) -> str:
    """What the button sends (and so the key of its choice): the label as shown."""
    return (render(choice.label, language).strip() or choice.id)[:TEXT_LIMIT]


def _secondary(choice_id: str) -> bool:
    return choice_id.startswith("cmd:") or choice_id == "skip"


def _columns(main: list[str], label: str, choice_id: str) -> int:
    """Short labels side by side (three times, two yes/no), long ones full width; the
    main choices of a keyboard all get the same width, so they line up."""
    if _secondary(choice_id):
        return 3 if len(label) <= 14 else 6
    longest = max((len(m) for m in main), default=len(label))
    if longest <= 6:
        return 2
    if longest <= 14:
        return 3
    return 6


def _button(label: str, colours: tuple[str, str], columns: int) -> dict[str, Any]:
    background, foreground = colours
    shown = label if len(label) <= SHOWN_LABEL else label[: SHOWN_LABEL - 1].rstrip() + "…"
    markup = f'<font color="{foreground}">{html.escape(shown, quote=False)}</font>'
    if len(markup) > TEXT_LIMIT:  # escaping grew it past Viber's limit: plain, cut
        markup = html.escape(shown, quote=False)[:TEXT_LIMIT]
    return {
        "Columns": columns,
        "Rows": 1 if columns < 6 or len(shown) <= ONE_ROW_LABEL else 2,
        "BgColor": background,
        "ActionType": "reply",
        "ActionBody": label,
        "Text": markup,
        "TextSize": "regular",
        "TextHAlign": "center",
        "TextVAlign": "middle",
    }
