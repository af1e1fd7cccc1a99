"""Setting up ConsentID after the approval: where each person is, their help visits, and
what the activation report reads. The writes are parts of a unit (`progress_statement`,
`help_visit_statements`), each conditional on what the turn read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flows.domain import lifecycle
from flows.engine.records import ActivationProgress, AuditEntry, HelpVisit
from state.base import StoreBase
from state.db import Refusal, Row, Statement
from state.registrations import ACTIVE, sql_list
from state.values import from_micros, maybe_datetime, to_micros

RERUN = "version"  # refused: the turn runs again on fresh reads
SLOT = "slot"
HAS_ACCOUNT = sql_list(lifecycle.HAS_ACCOUNT)
REPORTED = ("approve", "activate", "activation_problem")
_COLUMNS = "ref, step, problem, updated_at, version"


def _progress(row: Row) -> ActivationProgress:
    return ActivationProgress(
        ref=row[0],
        step=int(row[1]),
        problem=row[2],
        updated_at=maybe_datetime(row[3]),
        version=int(row[4]),
    )


def progress_statement(progress: ActivationProgress, now: int) -> Statement:
    """The first record of a registration that has an account, or a change of the one
    read (at its version). A refusal runs the turn again: it then sees what changed."""
    if progress.version == 0:
        return Statement(
            f"INSERT INTO activations ({_COLUMNS}) SELECT $1, $2, $3, $4, 1 "
            f"WHERE EXISTS (SELECT 1 FROM registrations WHERE ref = $1 "
            f"AND status IN ({HAS_ACCOUNT})) ON CONFLICT DO NOTHING",
            (progress.ref, progress.step, progress.problem, now),
            refuse=Refusal(RERUN, progress.ref),
        )
    return Statement(
        "UPDATE activations SET step = $2, problem = $3, updated_at = $4, "
        "version = version + 1 WHERE ref = $1 AND version = $5",
        (progress.ref, progress.step, progress.problem, now, progress.version),
        refuse=Refusal(RERUN, progress.ref),
    )


def help_visit_statements(visit: HelpVisit, now: int) -> list[Statement]:
    """A place in the slot (registrations' visits and other help visits count), for a
    registration that has an account; a new booking moves the earlier one."""
    at = to_micros(visit.visit_at)
    return [
        Statement(
            "SELECT pg_advisory_xact_lock(hashtextextended('slot:' || $1 || ':' || $2, 0))",
            (visit.hall, str(at)),
            rows=True,
            only="postgres",
        ),
        Statement(
            "SELECT 1 WHERE (SELECT COUNT(*) FROM registrations WHERE hall = $1 "
            f"AND visit_at = $2 AND status IN ({ACTIVE})) + (SELECT COUNT(*) FROM help_visits "
            "WHERE hall = $1 AND visit_at = $2 AND ref <> $4) < $3",
            (visit.hall, at, visit.capacity, visit.ref),
            refuse=Refusal(SLOT, visit.ref),
            rows=True,
        ),
        Statement(
            "INSERT INTO help_visits (ref, hall, visit_at, created_at) SELECT $1, $2, $3, $4 "
            "WHERE EXISTS (SELECT 1 FROM registrations WHERE ref = $1 "
            f"AND status IN ({HAS_ACCOUNT})) ON CONFLICT (ref) DO UPDATE "
            "SET hall = excluded.hall, visit_at = excluded.visit_at, "
            "created_at = excluded.created_at",
            (visit.ref, visit.hall, at, now),
            refuse=Refusal(RERUN, visit.ref),
        ),
    ]


class ActivationQueries(StoreBase):
    async def activation(self, ref: str) -> ActivationProgress | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM activations WHERE ref = $1", ref)
        return None if row is None else _progress(row)

    async def activations(self, refs: Sequence[str]) -> dict[str, ActivationProgress]:
        if not refs:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(refs) + 1))
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM activations WHERE ref IN ({marks})", *refs
        )
        return {row[0]: _progress(row) for row in rows}

    async def help_visit(self, ref: str) -> datetime | None:
        row = await self._db.fetchrow("SELECT visit_at FROM help_visits WHERE ref = $1", ref)
        return None if row is None else from_micros(row[0])

    async def activation_events(
        self, hall: str, start: datetime, end: datetime
    ) -> list[AuditEntry]:
        marks = ", ".join(f"${n}" for n in range(4, len(REPORTED) + 4))
        rows = await self._db.fetch(
            "SELECT a.at, a.actor, a.action, a.ref, a.detail FROM audit_log a "
            "JOIN registrations r ON r.ref = a.ref WHERE r.hall = $1 AND a.at >= $2 "
            f"AND a.at < $3 AND a.action IN ({marks}) ORDER BY a.at, a.id",
            hall,
            to_micros(start),
            to_micros(end),
            *REPORTED,
        )
        return [
            AuditEntry(at=from_micros(r[0]), actor=r[1], action=r[2], ref=r[3], detail=r[4])
            for r in rows
        ]
