"""The statements for a unit's tickets: issuing (the store numbers them), and changing one
only at the version the turn read.

A new ticket's label is known only inside the transaction. What the unit writes that holds
the label (the ticket slip's key and payload, notices, the recorded reply) is written
through `labelled`, which puts the label in place of the turn's placeholder in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.engine.records import NewTicket, Ticket, TicketChange, ticket_placeholder
from state.db import Refusal, Statement
from state.queue import COLUMNS
from state.values import day_text, maybe_micros, to_micros

TICKET = "ticket"  # refused: the ticket changed since it was read; the turn explains
RERUN = "version"  # refused: the turn runs again on fresh reads (as for a conversation)

# The label as Ticket.label writes it ("A007", "A1000"), in SQL both databases speak.
_LABEL = (
    "(SELECT service || CASE WHEN last_number < 10 THEN '00' WHEN last_number < 100 "
    "THEN '0' ELSE '' END || last_number FROM ticket_counters "
    "WHERE hall = ${0} AND day = ${1} AND service = ${2})"
)


def issue_statements(ticket: NewTicket, now: int) -> list[Statement]:
    """The day's counter row is bumped first: its row lock (PostgreSQL) or the single writer
    (SQLite) orders concurrent issuers, so each reads back its own number."""
    where = (ticket.hall, day_text(ticket.day), ticket.service)
    notify = ticket.notify
    return [
        Statement(
            "INSERT INTO ticket_counters (hall, day, service, last_number) "
            "VALUES ($1, $2, $3, 1) ON CONFLICT (hall, day, service) "
            "DO UPDATE SET last_number = ticket_counters.last_number + 1",
            where,
        ),
        Statement(
            "INSERT INTO tickets (hall, day, service, number, status, priority, issued_at, "
            "ref, notify_channel, notify_user_key, version) "
            "SELECT $1, $2, $3, last_number, 'waiting', $4, $5, $6, $7, $8, 0 "
            "FROM ticket_counters WHERE hall = $1 AND day = $2 AND service = $3 "
            f"RETURNING {COLUMNS}",
            (
                *where,
                ticket.priority,
                to_micros(ticket.issued_at),
                ticket.ref,
                None if notify is None else notify.channel,
                None if notify is None else notify.user_key,
            ),
            rows=True,
        ),
    ]


def labelled(param: int, tickets: Sequence[NewTicket], first_extra: int) -> str:
    """SQL for text parameter `param` with each new ticket's placeholder replaced by its
    label; the label lookups use three parameters per ticket from `first_extra` on (see
    `label_args`)."""
    expr = f"${param}"
    for i in range(len(tickets)):
        at = first_extra + 3 * i
        label = _LABEL.format(at, at + 1, at + 2)
        expr = f"replace({expr}, '{ticket_placeholder(i)}', {label})"
    return expr


def label_args(tickets: Sequence[NewTicket]) -> tuple[str, ...]:
    args: tuple[str, ...] = ()
    for t in tickets:
        args += (t.hall, day_text(t.day), t.service)
    return args


def change_statement(change: TicketChange) -> Statement:
    t: Ticket = change.ticket
    notify = t.notify
    reason = Refusal(RERUN, None) if change.rerun else Refusal(TICKET, t.id)
    return Statement(
        "UPDATE tickets SET status = $3, priority = $4, ref = $5, counter = $6, "
        "officer_id = $7, called_at = $8, finished_at = $9, notify_channel = $10, "
        "notify_user_key = $11, version = version + 1 WHERE id = $1 AND version = $2",
        (
            t.id,
            t.version,
            t.status.value,
            t.priority,
            t.ref,
            t.counter,
            t.officer_id,
            maybe_micros(t.called_at),
            maybe_micros(t.finished_at),
            None if notify is None else notify.channel,
            None if notify is None else notify.user_key,
        ),
        refuse=reason,
    )
