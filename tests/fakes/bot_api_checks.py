"""What Telegram's Bot API checks in what a bot sends: HTML text and reply markup.

Used by the fake Bot API server (bot_api_server.py). The errors carry Telegram's own
wording ("Bad Request: ..."), so a bot sees what it would see from Telegram.
"""

from __future__ import annotations

import json
import re
from typing import Any

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))*)\s*>"
)
_HREF = re.compile(r"href\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+))")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)


class BadRequest(ValueError):
    """A 400 answer; str() is Telegram's description without the "Bad Request: " prefix."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's parse_mode=HTML: the plain text and its entities (UTF-16 offsets)."""
    out: list[str] = []
    offset = 0
    stack: list[tuple[str, int, str | None]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            where = len(source[:i].encode())
            match = _TAG.match(source, i)
            if match is None:
                raise BadRequest(f"can't parse entities: Unexpected '<' at byte offset {where}")
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in _KINDS:
                raise BadRequest(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {where}'
                )
            if not closing:
                href = _HREF.search(match.group(3) or "")
                url = next((g for g in href.groups() if g is not None), None) if href else None
                stack.append((name, offset, url))
            else:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise BadRequest(
                        f"can't parse entities: Unmatched end tag at byte offset {where}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                tag, start, url = stack.pop()
                if offset > start:
                    entity: dict[str, Any] = {
                        "type": _KINDS[tag],
                        "offset": start,
                        "length": offset - start,
                    }
                    if url is not None:
                        entity["url"] = url
                    entities.append(entity)
            i = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if match is not None:
                name = match.group(1)
                if name.startswith("#x"):
                    char = chr(int(name[2:], 16))
                elif name.startswith("#"):
                    char = chr(int(name[1:]))
                else:
                    char = _NAMED[name]
                out.append(char)
                offset += utf16_length(char)
                i = match.end()
                continue
        out.append(char)
        offset += utf16_length(char)
        i += 1
    if stack:
        tag = stack[-1][0]
        raise BadRequest(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def message_text(text: Any, parse_mode: Any, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """A message text or caption as Telegram stores it, or BadRequest."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if parse_mode is not None and str(parse_mode).upper() == "HTML":
        plain, entities = parse_html(text)
    else:
        plain, entities = text, []
    if utf16_length(plain) > limit:
        raise BadRequest(
            "message is too long" if limit == MESSAGE_LIMIT else "message caption is too long"
        )
    return plain, entities


def reply_markup(raw: Any) -> dict[str, Any] | None:
    """The reply_markup parameter checked the way Telegram checks it."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise BadRequest("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise BadRequest("object expected as reply markup")
    if "inline_keyboard" in raw:
        for row in _rows(raw["inline_keyboard"], "inline keyboard"):
            for button in row:
                _inline_button(button)
    elif "keyboard" in raw:
        for row in _rows(raw["keyboard"], "keyboard"):
            for button in row:
                label = button if isinstance(button, str) else _dict(button, "button").get("text")
                if not isinstance(label, str) or not label:
                    raise BadRequest("keyboard button text must be non-empty")
    elif "remove_keyboard" in raw:
        if raw["remove_keyboard"] is not True:
            raise BadRequest("remove_keyboard must be true")
    elif "force_reply" not in raw:
        raise BadRequest('can\'t find field "inline_keyboard"')
    return raw


def _rows(rows: Any, what: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadRequest(f'field "{what}" of the reply markup must be an Array of Arrays')
    return rows


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"can't parse {what}: object expected")
    return value


def _inline_button(button: Any) -> None:
    button = _dict(button, "inline keyboard button")
    if not isinstance(button.get("text"), str) or not button["text"]:
        raise BadRequest("can't parse inline keyboard button: Text must be non-empty")
    actions = [a for a in _INLINE_ACTIONS if a in button]
    if len(actions) != 1:
        raise BadRequest(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise BadRequest("BUTTON_DATA_INVALID")


def bot_commands(raw: Any) -> list[dict[str, str]]:
    try:
        commands = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise BadRequest("can't parse commands JSON object") from None
    if not isinstance(commands, list) or len(commands) > 100:
        raise BadRequest("commands must be an Array of at most 100 BotCommand")
    for c in commands:
        if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command"))):
            raise BadRequest("BOT_COMMAND_INVALID")
        if not isinstance(c.get("description"), str) or not 1 <= len(c["description"]) <= 256:
            raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands
