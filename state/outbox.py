"""The outbox: effects waiting to be carried out, leased to one worker at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.records import Effect, OutboxItem
from state.base import StoreBase
from state.db import Row
from state.values import from_micros, load_json, to_micros


def _item(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        effect=Effect(kind=row[2], key=row[1], payload=load_json(row[3])),
        attempts=row[4],
        next_attempt_at=from_micros(row[5]),
        created_at=from_micros(row[6]),
    )


class OutboxQueries(StoreBase):
    async def claim_effects(self, now: datetime, limit: int, lease_s: float) -> list[OutboxItem]:
        """Due effects, oldest due first. Claiming moves their next attempt to the end of
        the lease: a worker that dies leaves them to be claimed again then, and until
        then nobody else takes them. Each item's next_attempt_at is its lease's end."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        # MATERIALIZED: the pick runs once. Inlined as a semi-join, PostgreSQL may rescan
        # it per row and take more than `limit` (its own locks do not make it skip).
        rows = await self._db.fetch_written(
            "WITH due AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' "
            f"AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) "
            "UPDATE outbox SET next_attempt_at = $2 WHERE status = 'pending' "
            "AND next_attempt_at <= $1 AND id IN (SELECT id FROM due) "
            "RETURNING id, idempotency_key, kind, payload, attempts, next_attempt_at, "
            "created_at",
            to_micros(now),
            to_micros(now + timedelta(seconds=lease_s)),
            limit,
        )
        return sorted((_item(row) for row in rows), key=lambda item: (item.created_at, item.id))

    async def effect_done(self, item_id: int) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'done', finished_at = $2, error = NULL WHERE id = $1",
            item_id,
            to_micros(self._clock()),
        )

    async def effect_retry(self, item_id: int, at: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, error = $3 "
            "WHERE id = $1 AND status = 'pending'",
            item_id,
            to_micros(at),
            error,
        )

    async def effect_failed(self, item_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, finished_at = $2, "
            "error = $3 WHERE id = $1",
            item_id,
            to_micros(self._clock()),
            error,
        )
