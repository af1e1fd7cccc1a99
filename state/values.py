"""How values are kept in the database: instants, days and JSON.

Instants are BIGINT microseconds since the Unix epoch (UTC): exact, compact, ordered the
same on both databases whatever their collation. Days are ISO 'YYYY-MM-DD' text. JSON is
kept as TEXT.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """A naive datetime is taken as UTC (the records promise aware UTC times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def maybe_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def maybe_datetime(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def day_text(day: date) -> str:
    return day.isoformat()


def day_from_text(value: str) -> date:
    return date.fromisoformat(value)


def dump_json(value: Any) -> str:
    """Compact UTF-8 JSON. orjson: every message saves its conversation, and the standard
    library's encoder was a tenth of a message's CPU."""
    return orjson.dumps(value).decode()


# The same JSON as UTF-8 bytes; orjson's own function, not a wrapper around it: a call
# fewer for every message.
dump_json_bytes: Callable[[Any], bytes] = orjson.dumps


def kept_bytes(data: bytes) -> bytes:
    """A copy of exactly its length, for keeping: orjson's bytes keep the 4 KB buffer they
    were written into (measured: 4,097 bytes held for 139 of JSON)."""
    return bytes(memoryview(data))


# JSON text (str or UTF-8 bytes) to Python values; orjson's own, as dump_json_bytes.
load_json: Callable[[str | bytes], Any] = orjson.loads
