"""What the printing tests share: a hall, and a way to queue a print job through the
store's one write path."""

from __future__ import annotations

from typing import Any

from flows.conversations.slips import HallInfo
from flows.engine.records import Unit
from state import SqlStore

HALL = HallInfo(
    name="Градска управа Крагујевац",
    name_en="Kragujevac City Administration",
    address="Трг српских ратника 25, Крагујевац",
)


async def enqueue(
    store: SqlStore, key: str, printer: str, slip: str, payload: dict[str, Any]
) -> int:
    await store.apply(Unit(print_jobs=[(key, printer, slip, payload)]))
    return next(j.id for j in await store.print_jobs(printer) if j.key == key)
