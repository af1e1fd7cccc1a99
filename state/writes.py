"""The statements a Unit turns into, one builder per part of it.

Every check is a conditional write or a guard SELECT whose "no row" refuses the whole
unit, so a unit is one list of statements and never waits on a read in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from flows.domain import lifecycle
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.codec import recorded_to_json
from flows.engine.messages import ConversationKey, Outbound
from flows.engine.records import (
    AuditEntry,
    Conversation,
    Effect,
    NewTicket,
    Registration,
    Transition,
    VisitChange,
)
from state.db import Refusal, Statement
from state.registrations import ACTIVE, sql_list
from state.ticket_writes import label_args, labelled
from state.values import dump_json, dump_json_bytes, maybe_micros, to_micros

# help visits (flows/conversations/activation.py) share the visit slots: $1 the hall, $2 the slot
HELP_VISITS_IN_SLOT = "(SELECT COUNT(*) FROM help_visits WHERE hall = $1 AND visit_at = $2)"
# ... or, for a registration's move, the hall of the registration $1
HELP_VISITS_OF_REF_HALL = (
    "(SELECT COUNT(*) FROM help_visits WHERE visit_at = $2 "
    "AND hall = (SELECT hall FROM registrations WHERE ref = $1))"
)

VERSION = "version"
DUPLICATE = "duplicate"
TRANSITION = "transition"
SLOT = "slot"


# JSON for a TEXT column, as str or as UTF-8 (`utf8`): SQLite takes the UTF-8 as the text
# it spells (CAST(... AS TEXT) copies it as it is), so the JSON orjson writes is neither
# decoded into a str nor encoded back by the driver; PostgreSQL's driver takes str only.
# A bytearray, not bytes: Python's sqlite3 binds a bytearray at once, and looks for an
# adapter for bytes first (measured: more than the decoding it saves).
JsonText = str | bytearray


def json_text(value: Any, utf8: bool) -> JsonText:
    return bytearray(dump_json_bytes(value)) if utf8 else dump_json(value)


def inbound_statement(
    channel: str,
    message_id: str,
    now: int,
    reply: Sequence[Outbound] | None = None,
    utf8: bool = False,
) -> Statement:
    """The message id, once only; with its reply when the reply is final already (it is
    not while it names a ticket the unit has yet to number: see `reply_statement`)."""
    recorded = None if reply is None else json_text([recorded_to_json(o) for o in reply], utf8)
    return Statement(
        "INSERT INTO processed_inbound (channel, message_id, at, reply) "
        "VALUES ($1, $2, $3, CAST($4 AS TEXT)) ON CONFLICT DO NOTHING",
        (channel, message_id, now, recorded),
        refuse=Refusal(DUPLICATE, (channel, message_id)),
    )


def forget_statement(key: ConversationKey) -> Statement:
    return Statement(
        "DELETE FROM conversations WHERE channel = $1 AND user_key = $2",
        (key.channel, key.user_key),
    )


def conversation_json(conv: Conversation) -> bytes:
    """The conversation's data column, as UTF-8 JSON."""
    return dump_json_bytes(
        {
            "language": conv.language,
            "slots": conv.slots,
            "history": conv.history,
            "failures": conv.failures,
        }
    )


def conversation_data(conv: Conversation) -> str:
    return conversation_json(conv).decode()


def first_version(now: int) -> int:
    """The microsecond of the insert: later than every version of an earlier row with this
    key, since a version grows by one a message."""
    return now


def save_statement(conv: Conversation, now: int, data: JsonText | None = None) -> Statement:
    """Optimistic concurrency: insert when never saved, else update only the version loaded.

    A new row starts at `first_version(now)`, not at 1: a conversation deleted (a wipe, the
    purge) and started again never repeats a version an old copy in some process's memory
    still carries, so that copy can never overwrite it."""
    key = conv.key
    data = conversation_data(conv) if data is None else data
    refusal = Refusal(VERSION, key)
    if conv.version == 0:
        return Statement(
            "INSERT INTO conversations (channel, user_key, flow, state, data, version, "
            "updated_at) VALUES ($1, $2, $3, $4, CAST($5 AS TEXT), $7, $6) "
            "ON CONFLICT DO NOTHING",
            (key.channel, key.user_key, conv.flow, conv.state, data, now, first_version(now)),
            refuse=refusal,
        )
    return Statement(
        "UPDATE conversations SET flow = $3, state = $4, data = CAST($5 AS TEXT), "
        "version = version + 1, "
        "updated_at = $6 WHERE channel = $1 AND user_key = $2 AND version = $7",
        (
            key.channel,
            key.user_key,
            conv.flow,
            conv.state,
            data,
            now,
            conv.version,
        ),
        refuse=refusal,
    )


def _slot_lock(hall_sql: str, visit_param: str, source: str) -> str:
    """PostgreSQL: counting a slot's bookings needs the slot serialised; per hall and slot."""
    return (
        f"SELECT pg_advisory_xact_lock(hashtextextended('slot:' || {hall_sql} || ':' || "
        f"{visit_param}, 0)){source}"
    )


def registration_statements(reg: Registration, capacity: int) -> list[Statement]:
    statements: list[Statement] = []
    visit = maybe_micros(reg.visit_at)
    if visit is not None:
        statements.append(
            Statement(
                _slot_lock("$1", "$2", ""), (reg.hall, str(visit)), rows=True, only="postgres"
            )
        )
        statements.append(
            Statement(
                "SELECT 1 WHERE (SELECT COUNT(*) FROM registrations WHERE hall = $1 "
                f"AND visit_at = $2 AND status IN ({ACTIVE})) + {HELP_VISITS_IN_SLOT} < $3",
                (reg.hall, visit, capacity),
                refuse=Refusal(SLOT, reg.ref),
                rows=True,
            )
        )
    statements.append(
        Statement(
            "INSERT INTO registrations (ref, status, hall, language, first_name, last_name, "
            "jmbg, id_number, phone, email, visit_at, officer_id, reason, username, erased, "
            "created_at, updated_at, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13, $14, $15, $16, $17, $18)",
            (
                reg.ref,
                reg.status.value,
                reg.hall,
                reg.language,
                reg.first_name,
                reg.last_name,
                reg.jmbg,
                reg.id_number,
                reg.phone,
                reg.email,
                visit,
                reg.officer_id,
                reg.reason,
                reg.username,
                int(reg.erased),
                to_micros(reg.created_at),
                to_micros(reg.updated_at),
                reg.document,
            ),
        )
    )
    return statements


def links_statement(links: list[tuple[str, ConversationKey]]) -> Statement:
    return Statement(
        "INSERT INTO registration_links (ref, channel, user_key) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        many=[(ref, key.channel, key.user_key) for ref, key in links],
    )


@cache
def _transition_sql(to: str) -> tuple[str, bool]:
    """The move as one conditional UPDATE: legal source statuses only, and out of
    in_review only by the officer holding it. Parameters: ref, now, then (when the move
    involves an officer) the officer, then the reason (rejected) or username (approved).
    Also says whether the officer parameter is used."""
    allowed = lifecycle.ALLOWED_FROM[to]
    uses_officer = to == RegistrationStatus.IN_REVIEW or RegistrationStatus.IN_REVIEW in allowed
    sets = [f"status = '{to}'", "updated_at = $2"]
    if to == RegistrationStatus.IN_REVIEW:
        sets.append("officer_id = $3")
    elif to == RegistrationStatus.CHECKED_IN:
        sets.append("officer_id = NULL")  # released: nobody holds it any more
    if to == RegistrationStatus.REJECTED:
        sets.append("reason = $4")
    elif to == RegistrationStatus.APPROVED:
        sets.append("username = $4")
    free = allowed - {RegistrationStatus.IN_REVIEW}
    sources = [f"status IN ({sql_list(free)})"] if free else []
    if RegistrationStatus.IN_REVIEW in allowed:
        sources.append(f"(status = '{RegistrationStatus.IN_REVIEW}' AND officer_id = $3)")
    sql = f"UPDATE registrations SET {', '.join(sets)} WHERE ref = $1 AND ({' OR '.join(sources)})"
    return sql, uses_officer


def transition_statement(move: Transition, now: int) -> Statement:
    refusal = Refusal(TRANSITION, move.ref)
    to = move.to.value
    if to not in lifecycle.ALLOWED_FROM or (
        to == RegistrationStatus.IN_REVIEW and move.officer_id is None
    ):
        return Statement("SELECT 1 WHERE 1 = 0", refuse=refusal, rows=True)
    sql, uses_officer = _transition_sql(to)
    args: tuple[Any, ...] = (move.ref, now)
    if uses_officer:
        args += (move.officer_id,)
    if to == RegistrationStatus.REJECTED:
        args += (move.reason,)
    elif to == RegistrationStatus.APPROVED:
        args += (move.username,)
    return Statement(sql, args, refuse=refusal)


def visit_change_statements(change: VisitChange, now: int) -> list[Statement]:
    statements: list[Statement] = []
    visit = maybe_micros(change.visit_at)
    if visit is not None:
        lock = _slot_lock("hall", "$2", " FROM registrations WHERE ref = $1")
        statements.append(Statement(lock, (change.ref, str(visit)), rows=True, only="postgres"))
        statements.append(
            Statement(
                "SELECT 1 WHERE (SELECT COUNT(*) FROM registrations WHERE hall = "
                "(SELECT hall FROM registrations WHERE ref = $1) AND visit_at = $2 "
                f"AND status IN ({ACTIVE}) AND ref <> $1) + {HELP_VISITS_OF_REF_HALL} < $3",
                (change.ref, visit, change.capacity),
                refuse=Refusal(SLOT, change.ref),
                rows=True,
            )
        )
    statements.append(
        Statement(
            "UPDATE registrations SET visit_at = $2, updated_at = $3 "
            f"WHERE ref = $1 AND status IN ({ACTIVE})",
            (change.ref, visit, now),
            refuse=Refusal(TRANSITION, change.ref),
        )
    )
    return statements


def effects_statement(
    effects: list[Effect], now: int, tickets: Sequence[NewTicket] = ()
) -> Statement:
    """A key seen before is skipped without a word: that is what makes effects idempotent."""
    extra = label_args(tickets)
    return Statement(
        "INSERT INTO outbox (idempotency_key, kind, payload, status, attempts, "
        f"next_attempt_at, created_at, recipient) VALUES ({labelled(1, tickets, 7)}, $2, "
        f"{labelled(3, tickets, 7)}, 'pending', 0, $4, $5, $6) ON CONFLICT DO NOTHING",
        many=[
            (
                e.key,
                e.kind,
                dump_json(e.payload),
                maybe_micros(e.due_at) or now,
                now,
                recipient_of(e),
                *extra,
            )
            for e in effects
        ],
    )


def recipient_of(effect: Effect) -> str | None:
    """The chat a notification is for, "channel:user_key" (its outbound's; see
    flows.engine.notify); None for every other effect."""
    out = effect.payload.get("outbound")
    if not isinstance(out, dict):
        return None
    return f"{out.get('channel')}:{out.get('user_key')}"


def print_jobs_statement(
    jobs: list[tuple[str, str, str, dict[str, Any]]],
    now: int,
    tickets: Sequence[NewTicket] = (),
) -> Statement:
    extra = label_args(tickets)
    return Statement(
        "INSERT INTO print_jobs (idempotency_key, printer, slip, payload, status, attempts, "
        f"next_attempt_at, created_at) VALUES ({labelled(1, tickets, 6)}, $2, $3, "
        f"{labelled(4, tickets, 6)}, 'queued', 0, $5, $5) ON CONFLICT DO NOTHING",
        many=[
            (key, printer, slip, dump_json(payload), now, *extra)
            for key, printer, slip, payload in jobs
        ],
    )


def reply_statement(
    inbound_id: tuple[str, str], reply: Sequence[Outbound], tickets: Sequence[NewTicket] = ()
) -> Statement:
    """The reply of a unit that issues tickets, once their labels are known: kept with the
    inbound id, so a redelivery of the message is answered with it again."""
    return Statement(
        f"UPDATE processed_inbound SET reply = {labelled(3, tickets, 4)} "
        "WHERE channel = $1 AND message_id = $2",
        (*inbound_id, dump_json([recorded_to_json(out) for out in reply]), *label_args(tickets)),
    )


def audit_statement(entries: list[AuditEntry], now: int) -> Statement:
    return Statement(
        "INSERT INTO audit_log (at, actor, action, ref, detail) VALUES ($1, $2, $3, $4, $5)",
        many=[
            (now if e.at is None else to_micros(e.at), e.actor, e.action, e.ref, e.detail)
            for e in entries
        ],
    )
