"""The audit log: append-only, who did what and when. No method here changes an entry."""

from __future__ import annotations

from flows.engine.records import AuditEntry
from state.base import StoreBase
from state.db import Row
from state.values import from_micros, to_micros

_COLUMNS = "at, actor, action, ref, detail"


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(
        at=from_micros(row[0]), actor=row[1], action=row[2], ref=row[3], detail=row[4]
    )


class AuditQueries(StoreBase):
    async def audit(self, entry: AuditEntry) -> None:
        at = self._clock() if entry.at is None else entry.at
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, action, ref, detail) VALUES ($1, $2, $3, $4, $5)",
            to_micros(at),
            entry.actor,
            entry.action,
            entry.ref,
            entry.detail,
        )

    async def audit_log(self, ref: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The most recent entries first."""
        if ref is None:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT $1", limit
            )
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM audit_log WHERE ref = $1 ORDER BY id DESC LIMIT $2",
                ref,
                limit,
            )
        return [_entry(row) for row in rows]
