"""Registrations: reading them, their chat links, slot use and expiry (the purge of their
personal data: state/retention.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flows.domain import lifecycle
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from flows.engine.records import Registration
from state.base import StoreBase
from state.db import Row
from state.values import from_micros, maybe_datetime, to_micros

COLUMNS = (
    "ref, status, hall, language, first_name, last_name, jmbg, id_number, phone, email, "
    "visit_at, officer_id, reason, username, erased, created_at, updated_at, document"
)
# A submitted registration expires once its visit is this far past ...
VISIT_GRACE = timedelta(days=1)
# ... or, booked without a visit, once it is this old.
UNBOOKED_WINDOW = timedelta(days=30)


def sql_list(values: Iterable[str]) -> str:
    """Status names as SQL literals: they come from our own enums, never from a user."""
    return ", ".join(f"'{value}'" for value in sorted(values))


ACTIVE = sql_list(lifecycle.PENDING)
ERASABLE = sql_list(lifecycle.ERASABLE)


def registration_from_row(row: Row) -> Registration:
    return Registration(
        ref=row[0],
        status=RegistrationStatus(row[1]),
        hall=row[2],
        language=row[3],
        first_name=row[4],
        last_name=row[5],
        jmbg=row[6],
        id_number=row[7],
        phone=row[8],
        email=row[9],
        visit_at=maybe_datetime(row[10]),
        officer_id=row[11],
        reason=row[12],
        username=row[13],
        erased=bool(row[14]),
        created_at=from_micros(row[15]),
        updated_at=from_micros(row[16]),
        document=row[17],
    )


class RegistrationQueries(StoreBase):
    async def get_registration(self, ref: str) -> Registration | None:
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM registrations WHERE ref = $1", ref)
        return None if row is None else registration_from_row(row)

    async def registrations_at(
        self, hall: str, statuses: Sequence[RegistrationStatus]
    ) -> list[Registration]:
        if not statuses:
            return []
        wanted = sorted({RegistrationStatus(status).value for status in statuses})
        marks = ", ".join(f"${n}" for n in range(2, len(wanted) + 2))
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM registrations WHERE hall = $1 AND status IN ({marks}) "
            "ORDER BY created_at, ref",
            hall,
            *wanted,
        )
        return [registration_from_row(row) for row in rows]

    async def registrations_linked_to(self, key: ConversationKey) -> list[Registration]:
        columns = ", ".join(f"r.{name.strip()}" for name in COLUMNS.split(","))
        rows = await self._db.fetch(
            f"SELECT {columns} FROM registration_links l JOIN registrations r ON r.ref = l.ref "
            "WHERE l.channel = $1 AND l.user_key = $2 ORDER BY r.created_at, r.ref",
            key.channel,
            key.user_key,
        )
        return [registration_from_row(row) for row in rows]

    async def links_of(self, ref: str) -> list[ConversationKey]:
        rows = await self._db.fetch(
            "SELECT channel, user_key FROM registration_links WHERE ref = $1 "
            "ORDER BY channel, user_key",
            ref,
        )
        return [ConversationKey(row[0], row[1]) for row in rows]

    async def slot_usage(self, hall: str, start: datetime, end: datetime) -> dict[datetime, int]:
        # help visits (state/activations.py) take places in the same slots
        rows = await self._db.fetch(
            "SELECT visit_at, COUNT(*) FROM (SELECT visit_at FROM registrations "
            "WHERE hall = $1 AND visit_at >= $2 AND visit_at < $3 "
            f"AND status IN ({ACTIVE}) UNION ALL SELECT visit_at FROM help_visits "
            "WHERE hall = $1 AND visit_at >= $2 AND visit_at < $3) booked GROUP BY visit_at",
            hall,
            to_micros(start),
            to_micros(end),
        )
        return {from_micros(row[0]): int(row[1]) for row in rows}

    async def username_taken(self, username: str) -> bool:
        rows = await self._db.fetch(
            "SELECT 1 FROM accounts WHERE username = $1 "
            "UNION ALL SELECT 1 FROM registrations WHERE username = $1",
            username,
        )
        return bool(rows)

    async def expire_due(
        self,
        now: datetime,
        *,
        visit_grace: timedelta = VISIT_GRACE,
        unbooked_window: timedelta = UNBOOKED_WINDOW,
    ) -> list[str]:
        """Submitted registrations whose visit is more than `visit_grace` before `now`, or,
        without a visit, created more than `unbooked_window` before `now`, become expired
        (audited as the system's "expire"). Returns their references."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(
                "UPDATE registrations SET status = 'expired', updated_at = $1 "
                "WHERE status = 'submitted' AND ((visit_at IS NOT NULL AND visit_at < $2) "
                "OR (visit_at IS NULL AND created_at < $3)) RETURNING ref",
                to_micros(now),
                to_micros(now - visit_grace),
                to_micros(now - unbooked_window),
            )
            refs = sorted(str(row[0]) for row in rows)
            if refs:
                await tx.executemany(
                    "INSERT INTO audit_log (at, actor, action, ref) "
                    "VALUES ($1, 'system', 'expire', $2)",
                    [(to_micros(now), ref) for ref in refs],
                )
        return refs
