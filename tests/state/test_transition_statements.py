"""The status changes, statement by statement: what state/writes.py builds from the lifecycle
table (flows/domain/lifecycle.py), pinned word for word for PostgreSQL and for SQLite.

A change to the table or to the builder shows up here as a changed statement, to be read
and agreed to; test_lifecycle.py runs every move against both databases.
"""

from __future__ import annotations

import pytest

from flows.domain import lifecycle
from flows.engine.records import RegistrationStatus, Transition
from state.db import Refusal, sqlite_sql
from state.writes import TRANSITION, transition_statement

NOW = 1_800_000_000_000_000  # microseconds, as the store keeps times
REF = "K7M4-PX9N"
OFFICER = 7

# the move -> (PostgreSQL's statement, SQLite's, their arguments)
MOVES: dict[Transition, tuple[str, str, tuple[object, ...]]] = {
    Transition(REF, RegistrationStatus.CHECKED_IN, OFFICER): (
        "UPDATE registrations SET status = 'checked_in', updated_at = $2, officer_id = NULL "
        "WHERE ref = $1 AND (status IN ('submitted') "
        "OR (status = 'in_review' AND officer_id = $3))",
        "UPDATE registrations SET status = 'checked_in', updated_at = ?2, officer_id = NULL "
        "WHERE ref = ?1 AND (status IN ('submitted') "
        "OR (status = 'in_review' AND officer_id = ?3))",
        (REF, NOW, OFFICER),
    ),
    Transition(REF, RegistrationStatus.IN_REVIEW, OFFICER): (
        "UPDATE registrations SET status = 'in_review', updated_at = $2, officer_id = $3 "
        "WHERE ref = $1 AND (status IN ('checked_in', 'submitted'))",
        "UPDATE registrations SET status = 'in_review', updated_at = ?2, officer_id = ?3 "
        "WHERE ref = ?1 AND (status IN ('checked_in', 'submitted'))",
        (REF, NOW, OFFICER),
    ),
    Transition(REF, RegistrationStatus.APPROVED, OFFICER, username="jelena.petrovic"): (
        "UPDATE registrations SET status = 'approved', updated_at = $2, username = $4 "
        "WHERE ref = $1 AND ((status = 'in_review' AND officer_id = $3))",
        "UPDATE registrations SET status = 'approved', updated_at = ?2, username = ?4 "
        "WHERE ref = ?1 AND ((status = 'in_review' AND officer_id = ?3))",
        (REF, NOW, OFFICER, "jelena.petrovic"),
    ),
    Transition(REF, RegistrationStatus.REJECTED, OFFICER, reason="the ID card has expired"): (
        "UPDATE registrations SET status = 'rejected', updated_at = $2, reason = $4 "
        "WHERE ref = $1 AND ((status = 'in_review' AND officer_id = $3))",
        "UPDATE registrations SET status = 'rejected', updated_at = ?2, reason = ?4 "
        "WHERE ref = ?1 AND ((status = 'in_review' AND officer_id = ?3))",
        (REF, NOW, OFFICER, "the ID card has expired"),
    ),
    Transition(REF, RegistrationStatus.CANCELLED): (
        "UPDATE registrations SET status = 'cancelled', updated_at = $2 "
        "WHERE ref = $1 AND (status IN ('checked_in', 'submitted'))",
        "UPDATE registrations SET status = 'cancelled', updated_at = ?2 "
        "WHERE ref = ?1 AND (status IN ('checked_in', 'submitted'))",
        (REF, NOW),
    ),
    Transition(REF, RegistrationStatus.EXPIRED): (
        "UPDATE registrations SET status = 'expired', updated_at = $2 "
        "WHERE ref = $1 AND (status IN ('submitted'))",
        "UPDATE registrations SET status = 'expired', updated_at = ?2 "
        "WHERE ref = ?1 AND (status IN ('submitted'))",
        (REF, NOW),
    ),
    Transition(REF, RegistrationStatus.ACTIVE): (
        "UPDATE registrations SET status = 'active', updated_at = $2 "
        "WHERE ref = $1 AND (status IN ('approved'))",
        "UPDATE registrations SET status = 'active', updated_at = ?2 "
        "WHERE ref = ?1 AND (status IN ('approved'))",
        (REF, NOW),
    ),
}


def test_every_status_the_lifecycle_can_reach_is_pinned_here() -> None:
    assert {move.to.value for move in MOVES} == set(lifecycle.ALLOWED_FROM)


@pytest.mark.parametrize("move", list(MOVES), ids=lambda move: move.to.value)
def test_the_status_change_is_this_statement_on_postgresql(move: Transition) -> None:
    sql, _, args = MOVES[move]
    statement = transition_statement(move, NOW)
    assert statement.sql == sql
    assert statement.args == args
    assert statement.refuse == Refusal(TRANSITION, REF)  # no row changed: the move is refused


@pytest.mark.parametrize("move", list(MOVES), ids=lambda move: move.to.value)
def test_the_status_change_is_this_statement_on_sqlite(move: Transition) -> None:
    _, sql, _ = MOVES[move]
    assert sqlite_sql(transition_statement(move, NOW).sql) == sql


@pytest.mark.parametrize(
    "move",
    [
        Transition(REF, RegistrationStatus.SUBMITTED),  # nothing leads back to submitted
        Transition(REF, RegistrationStatus.IN_REVIEW),  # claimed by nobody
    ],
    ids=["to submitted", "in review without an officer"],
)
def test_a_move_no_status_allows_is_refused_without_touching_the_table(move: Transition) -> None:
    statement = transition_statement(move, NOW)
    assert (statement.sql, statement.args, statement.rows) == ("SELECT 1 WHERE 1 = 0", (), True)
    assert statement.refuse == Refusal(TRANSITION, REF)
