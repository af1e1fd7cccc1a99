"""Print jobs: slips waiting for their printer, retried, never printed twice unasked."""

from __future__ import annotations

from datetime import datetime

from flows.engine.records import PrinterState, PrintJob, PrintStatus
from state.base import StoreBase
from state.db import Row
from state.leases import PRINTER_LEASE, printer_lease
from state.values import from_micros, load_json, maybe_datetime, to_micros

_COLUMNS = (
    "id, idempotency_key, printer, slip, payload, status, attempts, next_attempt_at, "
    "created_at, error, printed_at"
)
LISTING_LIMIT = 200
# The printer's lease row of a job (l), in the term the job was claimed in.
_CLAIM_TERM = (
    f"l.name = '{PRINTER_LEASE}' || print_jobs.printer AND l.owner = print_jobs.claimed_by "
    "AND l.term = print_jobs.claim_term"
)
# A job this process claimed and is printing, in the printer lease's current term: the only
# one it may mark ($1 id, $3 owner). Once another term began (the lease ran out and another
# process took the printer), the new holder decides: the job became UNCERTAIN.
_MINE = (
    "id = $1 AND status = 'printing' AND claimed_by = $3 "
    f"AND EXISTS (SELECT 1 FROM leases l WHERE {_CLAIM_TERM})"
)


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
    async def claim_print_jobs(
        self, printer: str, now: datetime, limit: int, term: int
    ) -> list[PrintJob]:
        """The jobs at the head of the printer's queue, oldest first, as long as they are
        due, marked PRINTING for this process in `term`. Nothing unless this process holds
        the printer's lease in that term, and the term has started (its fence is over);
        nothing while any job of the printer is PRINTING: one job at a time on a printer,
        and a job waiting for its retry holds back every later one."""
        # The head of the queue first (index print_jobs_queue), then the part of it that
        # is due with nothing waiting before it. MATERIALIZED: each pick runs once (see
        # OutboxQueries.claim_effects). No SKIP LOCKED: skipping a locked job would print
        # the one behind it first.
        rows = await self._db.fetch_written(
            "WITH head AS MATERIALIZED (SELECT id, created_at, next_attempt_at FROM print_jobs "
            "WHERE printer = $1 AND status = 'queued' ORDER BY created_at, id LIMIT $3), "
            "due AS MATERIALIZED (SELECT id FROM head h WHERE h.next_attempt_at <= $2 "
            "AND NOT EXISTS (SELECT 1 FROM head o WHERE o.next_attempt_at > $2 "
            "AND (o.created_at < h.created_at OR (o.created_at = h.created_at AND o.id < h.id))) "
            "AND NOT EXISTS (SELECT 1 FROM print_jobs w WHERE w.printer = $1 "
            "AND w.status = 'printing') "
            "AND EXISTS (SELECT 1 FROM leases l WHERE l.name = $5 AND l.owner = $4 "
            "AND l.term = $6 AND l.expires_at > $2 AND l.fenced_until <= $2)) "
            "UPDATE print_jobs SET status = 'printing', claimed_by = $4, claim_term = $6 "
            f"WHERE status = 'queued' AND id IN (SELECT id FROM due) RETURNING {_COLUMNS}",
            printer,
            to_micros(now),
            limit,
            self.owner,
            printer_lease(printer),
            term,
        )
        return sorted((_job(row) for row in rows), key=lambda job: (job.created_at, job.id))

    async def printers_at_work(self, now: datetime) -> dict[str, PrintStatus]:
        """Which printers have something to do, in one read: PRINTING for a printer with a
        job being printed (or left so by a term that is over), QUEUED for one whose oldest
        queued job is due. Only a hint for the worker (it is out of date as soon as it is
        read): the claim and the lease decide."""
        # `status IN (...)` as migration 0011's partial index says it, so the index is used.
        rows = await self._db.fetch(
            "SELECT printer, MIN(status) FROM print_jobs h "
            "WHERE status IN ('queued', 'printing') AND (status = 'printing' "
            "OR (status = 'queued' AND next_attempt_at <= $1 "
            "AND NOT EXISTS (SELECT 1 FROM print_jobs o WHERE o.printer = h.printer "
            "AND o.status = 'queued' AND o.next_attempt_at > $1 AND (o.created_at < h.created_at "
            "OR (o.created_at = h.created_at AND o.id < h.id))))) GROUP BY printer",
            to_micros(now),
        )
        return {row[0]: PrintStatus(row[1]) for row in rows}

    async def print_done(self, job_id: int, now: datetime) -> bool:
        """Marks a job this process is printing; False (nothing changed) for any other."""
        changed = await self._db.execute(
            "UPDATE print_jobs SET status = 'printed', printed_at = $2, error = NULL "
            f"WHERE {_MINE}",
            job_id,
            to_micros(now),
            self.owner,
        )
        return changed > 0

    async def print_retry(self, job_id: int, at: datetime, error: str) -> bool:
        changed = await self._db.execute(
            "UPDATE print_jobs SET status = 'queued', attempts = attempts + 1, "
            f"next_attempt_at = $2, error = $4 WHERE {_MINE}",
            job_id,
            to_micros(at),
            self.owner,
            error,
        )
        return changed > 0

    async def print_failed(self, job_id: int, error: str) -> bool:
        changed = await self._db.execute(
            f"UPDATE print_jobs SET status = 'failed', attempts = attempts + 1, error = $2 "
            f"WHERE {_MINE}",
            job_id,
            error,
            self.owner,
        )
        return changed > 0

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

    async def mark_uncertain(self, printer: str | None = None) -> int:
        """Jobs left PRINTING in a term that is over (the lease ran out, or another term
        began) become UNCERTAIN: they may or may not be on paper. A job of a live term is
        never touched. Called at start-up and by a process taking a printer over."""
        only = "" if printer is None else " AND printer = $2"
        args: tuple[object, ...] = (to_micros(self._clock()),)
        return await self._db.execute(
            f"UPDATE print_jobs SET status = 'uncertain' WHERE status = 'printing'{only} "
            f"AND NOT EXISTS (SELECT 1 FROM leases l WHERE {_CLAIM_TERM} AND l.expires_at > $1)",
            *(args if printer is None else (*args, printer)),
        )

    async def printer_states(self) -> dict[str, PrinterState]:
        """Every printer's condition as its owner last found it."""
        rows = await self._db.fetch(
            "SELECT printer, condition, attention, failures FROM printer_states"
        )
        return {row[0]: PrinterState(row[1], row[2], row[3]) for row in rows}

    async def save_printer_state(self, printer: str, state: PrinterState) -> None:
        await self._db.execute(
            "INSERT INTO printer_states (printer, condition, attention, failures, updated_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (printer) DO UPDATE SET "
            "condition = excluded.condition, attention = excluded.attention, "
            "failures = excluded.failures, updated_at = excluded.updated_at",
            printer,
            state.condition,
            state.attention,
            state.failures,
            to_micros(self._clock()),
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
