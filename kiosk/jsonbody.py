"""Reading a small JSON object from a request, refusing anything else with a 4xx.

The kiosk API takes one tap or one typed answer per request: a few hundred bytes. Bodies
are read here with their own limit (whatever the application's client_max_size), and
every refusal is a JSON error the page can show, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from kiosk.security import no_store

MAX_BODY_BYTES = 16 * 1024


class BadRequest(Exception):
    """A request the API refuses; becomes a JSON error response with `status`."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail


def json_error(status: int, code: str, detail: str = "", **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return no_store(web.json_response(body, status=status))


async def read_json_object(request: web.Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; BadRequest for a wrong type, size or syntax."""
    ctype = request.headers.get("Content-Type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        # A JSON content type also keeps plain HTML forms of other sites out.
        raise BadRequest(415, "unsupported_media_type", "send application/json")
    if request.content_length is not None and request.content_length > limit:
        raise BadRequest(413, "too_large", f"at most {limit} bytes")
    raw = bytearray()
    async for chunk in request.content.iter_chunked(4096):
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


def optional_str(data: dict[str, Any], name: str, max_len: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(400, "wrong_type", f"{name} must be a string")
    if len(value) > max_len:
        raise BadRequest(400, "too_long", f"{name} is longer than {max_len}")
    if any(ord(ch) < 32 and ch not in "\t" for ch in value):
        raise BadRequest(400, "control_characters", name)
    return value


def required_int(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    # bool is an int in Python; a JSON true is not a sequence number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(400, "wrong_type", f"{name} must be an integer")
    if not low <= value <= high:
        raise BadRequest(400, "out_of_range", f"{name} must be in [{low}, {high}]")
    return value


def only_fields(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadRequest(400, "unknown_fields", ", ".join(unknown)[:200])
