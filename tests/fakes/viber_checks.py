"""What the fake Viber API refuses, the way Viber's REST bot API does.

Sources: developers.viber.com/docs/api/rest-bot-api (send_message, "Error Codes") and
creators.viber.com/docs/bots-api (send_message: sender.name at most 28 characters,
tracking_data at most 4,000, a message at most 30 KB; keyboards: Buttons 1-24 with
Columns 1-6 and Rows 1-2, Text at most 250 characters, share-phone only at
min_api_version 3). A refusal is a JSON status, with HTTP 200, as Viber answers.
"""

from __future__ import annotations

import re
from typing import Any

OK = 0
INVALID_URL = 1
INVALID_AUTH_TOKEN = 2
BAD_DATA = 3
MISSING_DATA = 4
RECEIVER_NOT_REGISTERED = 5
RECEIVER_NOT_SUBSCRIBED = 6
WEBHOOK_NOT_SET = 10
TOO_MANY_REQUESTS = 12

STATUS_NAMES = {
    OK: "ok",
    INVALID_URL: "invalidUrl",
    INVALID_AUTH_TOKEN: "invalidAuthToken",
    BAD_DATA: "badData",
    MISSING_DATA: "missingData",
    RECEIVER_NOT_REGISTERED: "receiverNotRegistered",
    RECEIVER_NOT_SUBSCRIBED: "receiverNotSubscribed",
    WEBHOOK_NOT_SET: "webhookNotSet",
    TOO_MANY_REQUESTS: "tooManyRequests",
}

TEXT_LIMIT = 7000
PICTURE_TEXT_LIMIT = 120
SENDER_NAME_LIMIT = 28
TRACKING_LIMIT = 4000
MESSAGE_BYTES = 30 * 1024
MAX_BUTTONS = 24
BUTTON_TEXT_LIMIT = 250
ACTION_TYPES = {"reply", "open-url", "share-phone", "location-picker", "none"}
API_3_ACTIONS = {"share-phone", "location-picker"}
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_PICTURE = re.compile(r"\.(png|jpe?g|gif)$", re.IGNORECASE)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self) -> dict[str, Any]:
        return {"status": self.status, "status_message": self.message}


def check_message(data: dict[str, Any], size: int, *, welcome: bool = False) -> None:
    """A send_message body (a welcome message: the same without receiver)."""
    if size > MESSAGE_BYTES:
        raise Refused(BAD_DATA, f"message size {size} exceeds 30KB")
    if not welcome and not data.get("receiver"):
        raise Refused(MISSING_DATA, "receiver is missing")
    sender = data.get("sender")
    if not isinstance(sender, dict) or not isinstance(sender.get("name"), str):
        raise Refused(MISSING_DATA, "sender.name is missing")
    if not sender["name"] or len(sender["name"]) > SENDER_NAME_LIMIT:
        raise Refused(BAD_DATA, "sender.name must have 1-28 characters")
    tracking = data.get("tracking_data")
    if tracking is not None and (not isinstance(tracking, str) or len(tracking) > TRACKING_LIMIT):
        raise Refused(BAD_DATA, "tracking_data must be a string of at most 4000 characters")
    api = data.get("min_api_version", 1)
    if not isinstance(api, int) or isinstance(api, bool) or api < 1:
        raise Refused(BAD_DATA, "min_api_version must be a positive integer")
    kind = data.get("type")
    if kind == "text":
        _check_text(data)
    elif kind == "picture":
        _check_picture(data)
    elif kind is None:
        raise Refused(MISSING_DATA, "type is missing")
    else:
        raise Refused(BAD_DATA, f"unsupported message type {kind!r} in this fake")
    if "keyboard" in data:
        check_keyboard(data["keyboard"], api)


def _check_text(data: dict[str, Any]) -> None:
    text = data.get("text")
    if not isinstance(text, str) or not text:
        raise Refused(MISSING_DATA, "text is missing")
    if len(text) > TEXT_LIMIT:
        raise Refused(BAD_DATA, f"text length {len(text)} exceeds {TEXT_LIMIT}")


def _check_picture(data: dict[str, Any]) -> None:
    media = data.get("media")
    if not isinstance(media, str) or not media:
        raise Refused(MISSING_DATA, "media is missing")
    if not _PICTURE.search(media.split("?", 1)[0]):
        raise Refused(BAD_DATA, "media must end with .png, .jpeg or .gif")
    text = data.get("text")
    if not isinstance(text, str):
        raise Refused(MISSING_DATA, "text is missing (it may be empty)")
    if len(text) > PICTURE_TEXT_LIMIT:
        raise Refused(BAD_DATA, f"picture text exceeds {PICTURE_TEXT_LIMIT}")


def check_keyboard(keyboard: Any, api: int) -> None:
    if not isinstance(keyboard, dict) or keyboard.get("Type") != "keyboard":
        raise Refused(BAD_DATA, "keyboard is not valid: Type must be keyboard")
    buttons = keyboard.get("Buttons")
    if not isinstance(buttons, list) or not buttons:
        raise Refused(BAD_DATA, "keyboard is not valid: Buttons is required")
    if len(buttons) > MAX_BUTTONS:
        raise Refused(BAD_DATA, f"keyboard is not valid: {len(buttons)} buttons, at most 24")
    for button in buttons:
        _check_button(button, api)


def _check_button(button: Any, api: int) -> None:
    if not isinstance(button, dict):
        raise Refused(BAD_DATA, "keyboard is not valid: a button is not an object")
    columns, rows = button.get("Columns", 6), button.get("Rows", 1)
    if not (isinstance(columns, int) and 1 <= columns <= 6):
        raise Refused(BAD_DATA, "keyboard is not valid: Columns must be 1-6")
    if not (isinstance(rows, int) and 1 <= rows <= 2):
        raise Refused(BAD_DATA, "keyboard is not valid: Rows must be 1-2")
    action = button.get("ActionType", "reply")
    allowed = ACTION_TYPES if api >= 3 else ACTION_TYPES - API_3_ACTIONS
    if action not in allowed:
        raise Refused(
            BAD_DATA,
            f'keyboard is not valid. [instance value ("{action}") not found in enum '
            f"(possible values: {sorted(allowed)})]",
        )
    body = button.get("ActionBody")
    if not isinstance(body, str) or not body:
        raise Refused(BAD_DATA, "keyboard is not valid: ActionBody is required")
    text = button.get("Text", "")
    if not isinstance(text, str) or len(text) > BUTTON_TEXT_LIMIT:
        raise Refused(BAD_DATA, "keyboard is not valid: Text must have at most 250 characters")
    for colour in ("BgColor",):
        if colour in button and not _COLOUR.fullmatch(str(button[colour])):
            raise Refused(BAD_DATA, f"keyboard is not valid: {colour} is not a colour")
