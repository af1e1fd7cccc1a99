"""HTTP details of the web chat: small JSON bodies only, security headers, no caching.

(The kiosk has the same rules in kiosk/security.py and kiosk/jsonbody.py; bot and kiosk
do not import each other, so the few lines are kept on both sides.)
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web

MAX_BODY_BYTES = 16 * 1024
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
R = TypeVar("R", bound=web.StreamResponse)


class BadRequest(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def harden(response: R) -> R:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def private(response: R) -> R:
    """Security headers, and never stored: the answer may quote what the person typed."""
    harden(response).headers["Cache-Control"] = "no-store"
    return response


def error(status: int, code: str) -> web.Response:
    return private(web.json_response({"error": code}, status=status))


async def read_object(request: web.Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadRequest(415, "unsupported_media_type")
    if request.content_length is not None and request.content_length > limit:
        raise BadRequest(413, "too_large")
    raw = bytearray()
    async for chunk in request.content.iter_chunked(4096):
        raw.extend(chunk)
        if len(raw) > limit:
            raise BadRequest(413, "too_large")
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BadRequest(400, "malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "not_an_object")
    return data


def text_field(data: dict[str, Any], name: str, max_len: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(400, "wrong_type")
    if len(value) > max_len:
        raise BadRequest(400, "too_long")
    if any(ord(ch) < 32 for ch in value):
        raise BadRequest(400, "control_characters")
    return value
