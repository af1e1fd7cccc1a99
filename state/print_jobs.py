"""Print jobs: slips waiting for their printer, retried, never printed twice unasked."""

from __future__ import annotations

from datetime import datetime

from flows.records import PrintJob, PrintStatus
from state.base import StoreBase
from state.db import Row
from state.values import from_micros, load_json, maybe_datetime, to_micros

_COLUMNS = (
    "id, idempotency_key, printer, slip, payload, status, attempts, next_attempt_at, "
    "created_at, error, printed_at"
)
LISTING_LIMIT = 200


def _job(row: Row) -> PrintJob:
    return PrintJob(
        id=row[0],
        key=row[1],
        printer=row[2],
        slip=row[3],
        payload=load_json(row[4]),
        status=PrintStatus(row[5]),
        attempts=row[6],
        next_attempt_at=from_micros(row[7]),
        created_at=from_micros(row[8]),
        error=row[9],
        printed_at=maybe_datetime(row[10]),
    )


class PrintJobQueries(StoreBase):
    async def claim_print_jobs(self, printer: str, now: datetime, limit: int) -> list[PrintJob]:
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        # MATERIALIZED: the pick runs once (see OutboxQueries.claim_effects).
        rows = await self._db.fetch_written(
            "WITH due AS MATERIALIZED (SELECT id FROM print_jobs WHERE printer = $1 "
            "AND status = 'queued' AND next_attempt_at <= $2 ORDER BY created_at, id "
            f"LIMIT $3{skip_locked}) UPDATE print_jobs SET status = 'printing' "
            f"WHERE status = 'queued' AND id IN (SELECT id FROM due) RETURNING {_COLUMNS}",
            printer,
            to_micros(now),
            limit,
        )
        return sorted((_job(row) for row in rows), key=lambda job: (job.created_at, job.id))

    async def print_done(self, job_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE print_jobs SET status = 'printed', printed_at = $2, error = NULL WHERE id = $1",
            job_id,
            to_micros(now),
        )

    async def print_retry(self, job_id: int, at: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE print_jobs SET status = 'queued', attempts = attempts + 1, "
            "next_attempt_at = $2, error = $3 WHERE id = $1",
            job_id,
            to_micros(at),
            error,
        )

    async def print_failed(self, job_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE print_jobs SET status = 'failed', attempts = attempts + 1, error = $2 "
            "WHERE id = $1",
            job_id,
            error,
        )

    async def print_jobs(
        self, printer: str | None = None, *, limit: int = LISTING_LIMIT
    ) -> list[PrintJob]:
        """The most recent jobs first (at most `limit`), for an officer to find a slip."""
        if printer is None:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM print_jobs ORDER BY id DESC LIMIT $1", limit
            )
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM print_jobs WHERE printer = $1 ORDER BY id DESC LIMIT $2",
                printer,
                limit,
            )
        return [_job(row) for row in rows]

    async def mark_uncertain(self) -> int:
        """Call at start-up, before the printer worker runs: a job still PRINTING was cut
        off by a crash, and may or may not be on paper."""
        return await self._db.execute(
            "UPDATE print_jobs SET status = 'uncertain' WHERE status = 'printing'"
        )

    async def requeue(self, job_id: int, now: datetime) -> bool:
        """An officer's reprint: the job starts over (attempts and error cleared)."""
        changed = await self._db.execute(
            "UPDATE print_jobs SET status = 'queued', attempts = 0, error = NULL, "
            "next_attempt_at = $2 WHERE id = $1 AND status IN ('failed', 'uncertain', 'printed')",
            job_id,
            to_micros(now),
        )
        return changed > 0
