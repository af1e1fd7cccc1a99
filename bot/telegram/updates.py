"""getUpdates answers read without the updates this process fetched before.

While updates are in flight, every getUpdates answer repeats them (Telegram keeps what is
not confirmed): decoding them again is most of what polling costs under load. Telegram
writes each update as an object whose first key is update_id, in ascending order; so the
answer is read from the first update not fetched before, and the rest is never decoded.
An answer laid out any other way is read whole, as PTB would.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.telegram.http import BotApiRequest

_RESULT_LIST = re.compile(r'\s*\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*\[\s*')
_UPDATE_START = re.compile(r'\{\s*"update_id"\s*:\s*(\d+)')
_UPDATE_ID_KEY = re.compile(r'"update_id"\s*:')  # a key: in a string, quotes are escaped
_NEXT = re.compile(r"\s*([,\]])\s*")
_DECODER = json.JSONDecoder()


class UpdatesRequest(BotApiRequest):
    """The request getUpdates goes through; `skip_below`: the first update_id not
    fetched yet (set before each call)."""

    skip_below = 0

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        text = payload.decode("utf-8", "replace")
        head = _RESULT_LIST.match(text)
        starts = list(_UPDATE_START.finditer(text)) if head else []
        if head is None or len(starts) != len(_UPDATE_ID_KEY.findall(text)):
            return dict(super().parse_json_payload(payload))
        first_new = next((m for m in starts if int(m.group(1)) >= self.skip_below), None)
        if first_new is None:
            return {"ok": True, "result": []}
        updates = _objects(text, first_new.start())
        if updates is None:
            return dict(super().parse_json_payload(payload))
        return {"ok": True, "result": updates}


def _objects(text: str, at: int) -> list[Any] | None:
    """The list's elements from `at` to its end (None: not laid out as expected)."""
    found: list[Any] = []
    while True:
        try:
            value, at = _DECODER.raw_decode(text, at)
        except json.JSONDecodeError:
            return None
        found.append(value)
        separator = _NEXT.match(text, at)
        if separator is None:
            return None
        at = separator.end()
        if separator.group(1) == "]":
            return found
