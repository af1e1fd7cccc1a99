"""The statements for what officers change in a unit: enrollment with a one-time invite,
their counter, an approved registration's account, a reprint. Each is conditional on what
the turn read; a refusal either re-runs the turn or is the turn's to explain."""

from __future__ import annotations

from flows.engine.records import CounterChange, Enrollment, NewAccount, Reprint, ThrottleChange
from state.db import Refusal, Statement
from state.values import maybe_micros, to_micros

INVITE = "invite"  # refused: the invite was used or expired meanwhile
RERUN = "version"


def enrollment_statements(enrollment: Enrollment) -> list[Statement]:
    """Deleting the invite first is what makes the code one-time: a second redeemer finds
    nothing. A chat enrolled before keeps its officer id, with the new name and hall."""
    at, key = to_micros(enrollment.at), enrollment.key
    return [
        Statement(
            "DELETE FROM officer_invites WHERE code_hash = $1 AND expires_at > $2",
            (enrollment.code_hash, at),
            refuse=Refusal(INVITE, None),
        ),
        Statement(
            "INSERT INTO officers (name, hall, counter, channel, user_key, active, created_at, "
            "supervisor) VALUES ($1, $2, NULL, $3, $4, 1, $5, $6) "
            "ON CONFLICT (channel, user_key) DO UPDATE SET name = excluded.name, "
            "hall = excluded.hall, counter = NULL, active = 1, supervisor = excluded.supervisor",
            (
                enrollment.name,
                enrollment.hall,
                key.channel,
                key.user_key,
                at,
                int(enrollment.supervisor),
            ),
        ),
        enrollment_audit(enrollment),
    ]


def enrollment_audit(enrollment: Enrollment) -> Statement:
    key = enrollment.key
    return Statement(
        "INSERT INTO audit_log (at, actor, action, ref, detail) "
        "SELECT $3, 'officer:' || id, 'enroll', NULL, hall FROM officers "
        "WHERE channel = $1 AND user_key = $2",
        (key.channel, key.user_key, to_micros(enrollment.at)),
    )


def counter_statement(change: CounterChange) -> Statement:
    """Only an active officer takes a counter: a revoked one's turn runs again and finds
    itself an ordinary chat."""
    return Statement(
        "UPDATE officers SET counter = $2 WHERE id = $1 AND active = 1",
        (change.officer_id, change.counter),
        refuse=Refusal(RERUN, None),
    )


def account_statements(account: NewAccount, now: int) -> list[Statement]:
    """A username another registration took meanwhile refuses the unit; the turn then
    runs again and the provider picks the next free one."""
    return [
        Statement(
            "INSERT INTO accounts (ref, username, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING",
            (account.ref, account.username, now),
        ),
        Statement(
            "SELECT 1 FROM accounts WHERE ref = $1 AND username = $2",
            (account.ref, account.username),
            rows=True,
            refuse=Refusal(RERUN, None),
        ),
    ]


def reprint_statement(reprint: Reprint, now: int) -> Statement:
    """The job starts over (attempts and error cleared), from the status read only; a job
    whose payload the purge erased has nothing left to print."""
    return Statement(
        "UPDATE print_jobs SET status = 'queued', attempts = 0, error = NULL, "
        "next_attempt_at = $3 WHERE id = $1 AND status = $2 AND payload <> '{}'",
        (reprint.job_id, reprint.status.value, now),
        refuse=Refusal(RERUN, None),
    )


def throttle_statement(change: ThrottleChange) -> Statement:
    """The next count of wrong codes, only on the count read (else the turn runs again and
    counts on the new one); failures=0 forgets the scope."""
    read = change.read
    if change.failures == 0:
        return Statement("DELETE FROM enrollment_failures WHERE scope = $1", (read.scope,))
    values = (read.scope, change.failures, to_micros(change.at), to_micros(change.blocked_until))
    if read.last_at is None:
        return Statement(
            "INSERT INTO enrollment_failures (scope, failures, last_at, blocked_until) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            values,
            refuse=Refusal(RERUN, None),
        )
    return Statement(
        "UPDATE enrollment_failures SET failures = $2, last_at = $3, blocked_until = $4 "
        "WHERE scope = $1 AND failures = $5 AND last_at = $6",
        (*values, read.failures, maybe_micros(read.last_at)),
        refuse=Refusal(RERUN, None),
    )
