"""The hall queue, as read: tickets numbered per hall, day and service, called one at a
time. Tickets are issued and changed by a message's unit (state/writes.py)."""

from __future__ import annotations

import re
from datetime import date

from flows.engine.messages import ConversationKey
from flows.engine.records import Ticket, TicketStatus
from state.base import StoreBase
from state.db import Row
from state.values import (
    day_from_text,
    day_text,
    from_micros,
    maybe_datetime,
)

COLUMNS = (
    "id, hall, day, service, number, status, priority, issued_at, ref, counter, officer_id, "
    "called_at, finished_at, notify_channel, notify_user_key, version"
)
_LABEL = re.compile(r"^([A-Za-z]+)0*(\d+)$")


def ticket_of(row: Row) -> Ticket:
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
        version=row[15],
    )


class QueueQueries(StoreBase):
    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM tickets WHERE id = $1", ticket_id)
        return None if row is None else ticket_of(row)

    async def find_ticket(self, hall: str, day: date, label: str) -> Ticket | None:
        """By its label as printed ("A007", "a7"); None when the label is no ticket's."""
        match = _LABEL.match(label.strip())
        if match is None:
            return None
        row = await self._db.fetchrow(
            f"SELECT {COLUMNS} FROM tickets WHERE hall = $1 AND day = $2 AND service = $3 "
            "AND number = $4",
            hall,
            day_text(day),
            match.group(1).upper(),
            int(match.group(2)),
        )
        return None if row is None else ticket_of(row)

    async def tickets(self, hall: str, day: date) -> list[Ticket]:
        """In the order they were issued."""
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM tickets WHERE hall = $1 AND day = $2 ORDER BY id",
            hall,
            day_text(day),
        )
        return [ticket_of(row) for row in rows]
