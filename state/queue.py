"""The hall queue: tickets numbered per hall, day and service, called one at a time."""

from __future__ import annotations

import re
from datetime import date, datetime

from flows.messages import ConversationKey
from flows.records import Ticket, TicketStatus
from state.base import StoreBase
from state.db import Row, Statement
from state.values import (
    day_from_text,
    day_text,
    from_micros,
    maybe_datetime,
    maybe_micros,
    to_micros,
)

_COLUMNS = (
    "id, hall, day, service, number, status, priority, issued_at, ref, counter, officer_id, "
    "called_at, finished_at, notify_channel, notify_user_key"
)
_LABEL = re.compile(r"^([A-Za-z]+)0*(\d+)$")


def _ticket(row: Row) -> Ticket:
    notify = None if row[13] is None else ConversationKey(row[13], row[14])
    return Ticket(
        id=row[0],
        hall=row[1],
        day=day_from_text(row[2]),
        service=row[3],
        number=row[4],
        status=TicketStatus(row[5]),
        priority=row[6],
        issued_at=from_micros(row[7]),
        ref=row[8],
        counter=row[9],
        officer_id=row[10],
        called_at=maybe_datetime(row[11]),
        finished_at=maybe_datetime(row[12]),
        notify=notify,
    )


class QueueQueries(StoreBase):
    async def issue_ticket(
        self,
        hall: str,
        day: date,
        service: str,
        priority: int,
        now: datetime,
        ref: str | None = None,
        notify: ConversationKey | None = None,
    ) -> Ticket:
        """The counter row is bumped first: on PostgreSQL its row lock orders concurrent
        issuers, so each reads back its own number."""
        where = (hall, day_text(day), service)
        outcome = await self._db.run(
            [
                Statement(
                    "INSERT INTO ticket_counters (hall, day, service, last_number) "
                    "VALUES ($1, $2, $3, 1) ON CONFLICT (hall, day, service) "
                    "DO UPDATE SET last_number = ticket_counters.last_number + 1",
                    where,
                ),
                Statement(
                    "INSERT INTO tickets (hall, day, service, number, status, priority, "
                    "issued_at, ref, notify_channel, notify_user_key) "
                    "SELECT $1, $2, $3, last_number, 'waiting', $4, $5, $6, $7, $8 "
                    "FROM ticket_counters WHERE hall = $1 AND day = $2 AND service = $3 "
                    f"RETURNING {_COLUMNS}",
                    (
                        *where,
                        priority,
                        to_micros(now),
                        ref,
                        None if notify is None else notify.channel,
                        None if notify is None else notify.user_key,
                    ),
                    rows=True,
                ),
            ]
        )
        return _ticket(outcome.rows[1][0])

    async def call_next(
        self, hall: str, day: date, counter: str, officer_id: int, now: datetime
    ) -> Ticket | None:
        """One statement: the pick and the update cannot be split by another caller
        (SQLite: one writer; PostgreSQL: the picked row is locked, others skip it)."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        rows = await self._db.fetch_written(
            "UPDATE tickets SET status = 'called', counter = $3, officer_id = $4, "
            "called_at = $5 WHERE status = 'waiting' AND id = (SELECT id FROM tickets "
            "WHERE hall = $1 AND day = $2 AND status = 'waiting' "
            f"ORDER BY priority, issued_at, id LIMIT 1{skip_locked}) RETURNING {_COLUMNS}",
            hall,
            day_text(day),
            counter,
            officer_id,
            to_micros(now),
        )
        return _ticket(rows[0]) if rows else None

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
        return None if row is None else _ticket(row)

    async def find_ticket(self, hall: str, day: date, label: str) -> Ticket | None:
        """By its label as printed ("A007", "a7"); None when the label is no ticket's."""
        match = _LABEL.match(label.strip())
        if match is None:
            return None
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM tickets WHERE hall = $1 AND day = $2 AND service = $3 "
            "AND number = $4",
            hall,
            day_text(day),
            match.group(1).upper(),
            int(match.group(2)),
        )
        return None if row is None else _ticket(row)

    async def update_ticket(self, ticket: Ticket) -> None:
        """Saves what may change after issue: status, priority, the registration, the
        counter and officer, the times, and whom to notify."""
        notify = ticket.notify
        await self._db.execute(
            "UPDATE tickets SET status = $2, priority = $3, ref = $4, counter = $5, "
            "officer_id = $6, called_at = $7, finished_at = $8, notify_channel = $9, "
            "notify_user_key = $10 WHERE id = $1",
            ticket.id,
            ticket.status.value,
            ticket.priority,
            ticket.ref,
            ticket.counter,
            ticket.officer_id,
            maybe_micros(ticket.called_at),
            maybe_micros(ticket.finished_at),
            None if notify is None else notify.channel,
            None if notify is None else notify.user_key,
        )

    async def tickets(self, hall: str, day: date) -> list[Ticket]:
        """In the order they were issued."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM tickets WHERE hall = $1 AND day = $2 ORDER BY id",
            hall,
            day_text(day),
        )
        return [_ticket(row) for row in rows]
