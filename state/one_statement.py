"""PostgreSQL: a list of independent writes sent as one statement, in one round trip.

Most messages' units are two or three writes to different tables (a kiosk session's step,
the inbound id, the conversation). Run one by one in a transaction, they cost BEGIN, a
round trip each and COMMIT; on a machine whose cores are all busy, every round trip wakes
a server process and this process's event loop, and that is what such a unit costs most.

Joined as data-modifying WITH queries, they run as one statement, which PostgreSQL
commits or rolls back whole. The statement reads each write's count in list order, then
calls `unit_refused(i)` (migration 0014) for the first write that should have refused the
list; the error rolls the whole statement back, as the transaction's rollback would.

Only for writes that are independent of each other: they see one snapshot, so none may
read or change a row another of them writes (the caller says so). Each must be a plain
INSERT, UPDATE or DELETE without RETURNING, run with one set of arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from state.db import Refusal, Statement

REFUSED_MESSAGE = "unit refused"  # unit_refused's message; its detail is the index
_PLACEHOLDER = re.compile(r"\$(\d+)")
_WRITE = ("INSERT ", "UPDATE ", "DELETE ")


def can_join(statements: Sequence[Statement]) -> bool:
    """Plain writes only; anything else runs in a transaction, one statement at a time."""
    return all(
        st.many is None
        and not st.rows
        and st.sql.startswith(_WRITE)
        and "RETURNING" not in st.sql.upper()
        and ";" not in st.sql
        for st in statements
    )


def joined(statements: Sequence[Statement]) -> tuple[str, tuple[object, ...]]:
    """The one statement and its arguments. It returns one row: each write's count."""
    shape = tuple((st.sql, len(st.args), st.refuse is not None) for st in statements)
    args = tuple(arg for st in statements for arg in st.args)
    return _joined_sql(shape), args


def refused_at(statements: Sequence[Statement], detail: str | None) -> Refusal:
    refusal = statements[int(detail or "")].refuse
    if refusal is None:
        raise ValueError(f"statement {detail} cannot refuse")
    return refusal


def _moved_by(sql: str, offset: int) -> str:
    """`$1` -> `$4` when three arguments of earlier writes come first."""

    def moved(number: re.Match[str]) -> str:
        return f"${int(number[1]) + offset}"

    return _PLACEHOLDER.sub(moved, sql)


@lru_cache(maxsize=64)  # a shape per kind of unit: a handful
def _joined_sql(shape: tuple[tuple[str, int, bool], ...]) -> str:
    writes = []
    offset = 0
    for i, (sql, count, _) in enumerate(shape):
        writes.append(f"w{i} AS ({_moved_by(sql, offset)} RETURNING 1)")
        offset += count
    # The counts come first: each drains its write, in list order, so the writes take
    # their row locks in the order a transaction would. Then the first write that should
    # have refused the list and changed nothing rolls the whole statement back.
    counts = ", ".join(f"(SELECT count(*) FROM w{i})" for i in range(len(shape)))
    checks = " ".join(
        f"WHEN NOT EXISTS (SELECT FROM w{i}) THEN unit_refused({i})"
        for i, (_, _, refuses) in enumerate(shape)
        if refuses
    )
    refused = f"CASE {checks} ELSE 0 END" if checks else "0"
    return f"WITH {', '.join(writes)} SELECT {counts}, {refused}"
