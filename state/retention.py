"""How long the store keeps each kind of data, and the statements of the purge that erases
it. One definition: `TABLES` states the policy per table (docs/privacy.md is generated from
it and tested against it), and `purge_statements` is what enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.domain import lifecycle
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.throttle import FORGIVEN_AFTER
from state.base import StoreBase
from state.db import Statement
from state.registrations import ERASABLE, sql_list
from state.values import to_micros

# A recorded reply only serves a redelivery, which comes within a day (Telegram: 24 h).
REPLY_KEPT = timedelta(days=2)
# An effect carried out, and a ticket's chat to tell, serve nothing after the day is over.
SPENT_KEPT = timedelta(days=2)
# The kiosk wipes a silent session within seconds; this is the net under that net.
KIOSK_KEPT = timedelta(days=1)

ERASED = "UPDATE registrations SET first_name = '', last_name = '', jmbg = '', "
ERASED += "id_number = '', phone = '', email = NULL, reason = NULL, username = NULL, erased = 1"
# Accounts that may still be handed out: those of approved registrations not yet erased,
# and of registrations an officer may yet approve.
_MAY_HAND_OUT = sql_list({RegistrationStatus.APPROVED, *lifecycle.PENDING})
_UNFINISHED_JOBS = sql_list({"queued", "printing", "uncertain"})
_KEY_ERASED = "idempotency_key = 'erased:' || CAST(id AS TEXT)"
_NOT_ERASED = "idempotency_key NOT LIKE 'erased:%'"


@dataclass(frozen=True, slots=True)
class Limits:
    """The moments before which each kind of data goes (from the settings, see
    ecitizen/retention.py)."""

    now: datetime
    closed: datetime  # rejected, cancelled, expired registrations; idle conversations
    approved: datetime  # approved registrations
    printed: datetime  # print jobs printed or given up


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the policy: where, what personal data, why, how long, what erases it."""

    where: str
    holds: str
    why: str
    kept: str
    erased_by: str


def purge_statements(limits: Limits) -> list[Statement]:
    """In one transaction; the first statement returns the registrations it erased."""
    closed, approved = to_micros(limits.closed), to_micros(limits.approved)
    now = limits.now
    spent = to_micros(now - SPENT_KEPT)
    return [
        Statement(
            f"{ERASED} WHERE erased = 0 AND ((status IN ({ERASABLE}) AND updated_at < $1) "
            f"OR (status = '{RegistrationStatus.APPROVED}' AND updated_at < $2)) RETURNING ref",
            (closed, approved),
            rows=True,
        ),
        Statement(
            "DELETE FROM registration_links WHERE ref IN "
            "(SELECT ref FROM registrations WHERE erased = 1)"
        ),
        Statement(
            "DELETE FROM accounts WHERE NOT EXISTS (SELECT 1 FROM registrations r "
            f"WHERE r.ref = accounts.ref AND r.erased = 0 AND r.status IN ({_MAY_HAND_OUT}))"
        ),
        Statement("DELETE FROM conversations WHERE updated_at < $1", (closed,)),
        Statement(
            "DELETE FROM conversations WHERE channel = 'kiosk' AND updated_at < $1",
            (to_micros(now - KIOSK_KEPT),),
        ),
        Statement(
            "DELETE FROM kiosk_sessions WHERE last_seen < $1", (to_micros(now - KIOSK_KEPT),)
        ),
        Statement(
            "DELETE FROM processed_inbound WHERE at < $1 OR at < $2",
            (closed, to_micros(now - REPLY_KEPT)),
        ),
        # an idempotency key may name the chat it was for: it goes with the payload
        Statement(
            f"UPDATE outbox SET payload = '{{}}', recipient = NULL, {_KEY_ERASED} "
            "WHERE status <> 'pending' "
            f"AND COALESCE(finished_at, created_at) < $1 AND {_NOT_ERASED}",
            (min(spent, closed),),
        ),
        Statement(
            f"UPDATE outbox SET status = 'failed', payload = '{{}}', recipient = NULL, "
            f"{_KEY_ERASED}, "
            "error = 'expired' WHERE status = 'pending' AND created_at < $1",
            (closed,),
        ),
        Statement(
            f"UPDATE print_jobs SET payload = '{{}}', {_KEY_ERASED} "
            "WHERE status IN ('printed', 'failed') AND COALESCE(printed_at, created_at) < $1 "
            f"AND {_NOT_ERASED}",
            (to_micros(limits.printed),),
        ),
        Statement(
            f"UPDATE print_jobs SET payload = '{{}}', {_KEY_ERASED}, status = 'failed', "
            f"error = 'expired' WHERE status IN ({_UNFINISHED_JOBS}) AND created_at < $1",
            (closed,),
        ),
        Statement(
            "UPDATE tickets SET notify_channel = NULL, notify_user_key = NULL "
            "WHERE notify_user_key IS NOT NULL AND issued_at < $1",
            (min(spent, closed),),
        ),
        Statement(
            "DELETE FROM enrollment_failures WHERE last_at < $1 AND blocked_until < $2",
            (to_micros(now - FORGIVEN_AFTER), to_micros(now)),
        ),
        Statement("DELETE FROM officer_invites WHERE expires_at < $1", (to_micros(now),)),
    ]


class RetentionQueries(StoreBase):
    async def purge(
        self,
        older_than: datetime,
        *,
        approved_before: datetime | None = None,
        printed_before: datetime | None = None,
    ) -> int:
        """Erases what served its purpose (`TABLES`): the personal data of rejected,
        cancelled and expired registrations last changed before `older_than` and of
        approved ones approved before `approved_before` (the same moment when not given),
        with their chat links and accounts; conversations idle since then; spent payloads
        of effects and print jobs (printed ones before `printed_before`, the same moment
        when not given). Status, dates, the deciding officer and the audit stay. On SQLite
        the erased bytes leave the file too. Returns how many registrations were erased."""
        limits = Limits(
            now=self._clock(),
            closed=older_than,
            approved=approved_before or older_than,
            printed=printed_before or older_than,
        )
        outcome = await self._db.run(purge_statements(limits))
        await self._conversations_dropped("")  # nothing erased lives on in any process
        await self.erase_for_good()
        return len(outcome.rows[0])


_PURGE = "the purge (`ecitizen purge`, and daily in `ecitizen serve`)"

# (The web chat's tables are stated with the web chat's limits: ecitizen/privacy.py.)
TABLES: tuple[Rule, ...] = (
    Rule(
        "registrations",
        "name, JMBG, ID card number, phone, e-mail, portal username, an officer's "
        "rejection reason (free text)",
        "an officer compares them with the ID card and creates the portal account",
        "rejected, cancelled, expired: `retention_days` after the last change; approved: "
        "`approved_retention_days` after the approval. Then only the reference code, hall, "
        "status, dates and the deciding officer remain",
        _PURGE,
    ),
    Rule(
        "registration_links",
        "which chats (Telegram/Viber user ids, web and kiosk keys) follow a registration",
        "to tell the citizen of a decision or a call",
        "until the registration's personal data is erased",
        _PURGE,
    ),
    Rule(
        "accounts",
        "portal username (from the name or e-mail), the hash of the activation code",
        "the built-in account provider hands the account out on the credentials slip",
        "as long as the registration keeps its personal data; an account that was never "
        "handed out (its registration was not approved) at the next purge",
        _PURGE,
    ),
    Rule(
        "conversations",
        "answers given so far (a half-typed registration, a draft set aside), the chat id",
        "to go on where the person left off",
        f"`retention_days` after the last message; a draft set aside `retention_days` after "
        f"it was set aside, even in a chat in use; kiosk ones {KIOSK_KEPT.days} day at most",
        f"{_PURGE}; a kiosk one by its wipe (see kiosk_sessions)",
    ),
    Rule(
        "kiosk_sessions",
        "the last request (it may quote what was typed); the screen shown is the reply "
        "recorded with the last message (processed_inbound), wiped with the session",
        "any server process answers the next tap",
        "until the idle limit and the warning have passed (the page's own wipe, or the "
        "server's sweep a few seconds later, after a crash too)",
        f"the kiosk wipe and sweep; the purge after {KIOSK_KEPT.days} day as a net under that net",
    ),
    Rule(
        "processed_inbound",
        "the reply recorded with a message id (it may quote the registration summary)",
        "a redelivered message is answered with the same reply",
        f"{REPLY_KEPT.days} days (platforms redeliver within a day)",
        _PURGE,
    ),
    Rule(
        "outbox",
        "notifications to send: the chat and the text (a name, a username); the "
        "idempotency key and the recipient name the chat",
        "sent once the change behind them is saved, retried until delivered",
        f"payload and key: {SPENT_KEPT.days} days after it was delivered or given up; one "
        "still pending after `retention_days` is given up and erased",
        _PURGE,
    ),
    Rule(
        "print_jobs",
        "what a slip says: reference code, username, ticket number (never a JMBG, an ID "
        "card number or an activation code)",
        "printed when the printer can, reprinted when an officer asks",
        "payload and key: `print_keep_hours` after it printed (or was given up), in any "
        "state after `retention_days`",
        _PURGE,
    ),
    Rule(
        "tickets",
        "the chat to tell when the turn comes",
        "to call the citizen to the counter",
        f"the chat: {SPENT_KEPT.days} days after the ticket was issued; the ticket itself "
        "(number, times, reference code) stays for the hall's statistics",
        _PURGE,
    ),
    Rule(
        "enrollment_failures",
        "how many wrong enrollment codes a chat typed (the chat only as a hash)",
        "to make guessing codes slower and slower",
        f"{FORGIVEN_AFTER.days} day after the last wrong code",
        _PURGE,
    ),
    Rule(
        "officer_invites",
        "the officer's name, the hash of the enrollment code",
        "one enrollment",
        "until used or expired (`invite_hours`)",
        "the enrollment; the purge once expired",
    ),
    Rule(
        "officers",
        "the officer's name and chat (staff, not citizens)",
        "the audit names who decided what",
        "for good (a revoked officer's name too: the audit refers to it)",
        "nothing",
    ),
    Rule(
        "audit_log",
        "none: who (officer id), what, which registration (reference code), when",
        "accountability, including each time an officer was shown a JMBG or ID number",
        "for good; the database refuses UPDATE and DELETE",
        "nothing",
    ),
    Rule(
        "chat_reach",
        "a messenger chat's id and whether it may be written to (Viber: subscribed)",
        "notices stop for a chat that unsubscribed, and resume when it subscribes again",
        "`retention_days` after the messenger last said something about the chat",
        _PURGE,
    ),
    Rule(
        "message_receipts",
        "the messenger's id of a notice sent, and how far it got (delivered, seen)",
        "to know whether a notification reached the person",
        "`retention_days` after the receipt",
        _PURGE,
    ),
    Rule(
        "activations, help_visits",
        "none: a reference code, the ConsentID step and problem, a help visit's hall and time",
        "the officer sees where a person is stuck; the activation report counts it",
        "for good, with the registration's status and audit",
        "nothing",
    ),
    Rule(
        "leases, printer_states",
        "none: which server process holds a printer, the purge or polling; a printer's state",
        "one process at a time prints on a printer, purges, polls Telegram",
        "while held; a printer's state while it is configured",
        "nothing",
    ),
    Rule(
        "ticket_counters, schema_version",
        "none",
        "numbering tickets; the schema's version",
        "for good",
        "nothing",
    ),
)
