"""The JSON body of a request from one of our pages (the kiosk, the web chat): one small
object whose fields are checked here; anything else is a BadRequest with the 4xx to
answer and a code the page can show, never a 500.

The pages send one tap or one typed answer per request: a few hundred bytes. The body is
read here with its own limit, whatever the server's own, from the chunks the channel's
HTTP server hands over (this module does no I/O of its own).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from typing import Any

from flows.engine.messages import LANGUAGES, Command

MAX_BODY_BYTES = 16 * 1024


class BadRequest(Exception):
    """A request the page's API refuses: `status` is the HTTP status to answer."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, str]:
        """What the page is answered: {"error": code} and, when there is one, "detail"."""
        return {"error": self.code, "detail": self.detail} if self.detail else {"error": self.code}


async def read_json_object(
    content_type: str,
    length: int | None,
    chunks: AsyncIterable[bytes],
    limit: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """The body as a JSON object; BadRequest for a wrong type, size or syntax.
    `content_type`: the media type alone (no parameters); `length`: Content-Length."""
    if content_type.strip().lower() != "application/json":
        # A JSON content type also keeps plain HTML forms of other sites out.
        raise BadRequest(415, "unsupported_media_type", "send application/json")
    if length is not None and length > limit:
        raise BadRequest(413, "too_large", f"at most {limit} bytes")
    raw = bytearray()
    async for chunk in chunks:
        raw.extend(chunk)
        if len(raw) > limit:
            raise BadRequest(413, "too_large", f"at most {limit} bytes")
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadRequest(400, "malformed_json", type(exc).__name__) from None
    if not isinstance(data, dict):
        raise BadRequest(400, "not_an_object")
    return data


def only_fields(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadRequest(400, "unknown_fields", ", ".join(unknown)[:200])


def optional_str(data: dict[str, Any], name: str, max_len: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(400, "wrong_type", f"{name} must be a string")
    if len(value) > max_len:
        raise BadRequest(400, "too_long", f"{name} is longer than {max_len}")
    if any(ord(ch) < 32 and ch != "\t" for ch in value):
        raise BadRequest(400, "control_characters", name)
    return value


def required_int(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    # bool is an int in Python; a JSON true is not a number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(400, "wrong_type", f"{name} must be an integer")
    if not low <= value <= high:
        raise BadRequest(400, "out_of_range", f"{name} must be in [{low}, {high}]")
    return value


def page_command(name: str, payload: str | None, allowed: frozenset[Command]) -> Command:
    """A command a page sent by name, if it is one the page may send (with a known
    language for /language)."""
    try:
        command = Command(name)
    except ValueError:
        raise BadRequest(400, "unknown_command") from None
    if command not in allowed:
        raise BadRequest(403, "command_not_allowed")
    if command is Command.LANGUAGE and payload not in LANGUAGES:
        raise BadRequest(400, "unknown_language")
    return command
