"""Web chat mailboxes (flows.engine.ports.MailboxStore): what each browser session was told.

Items are numbered per mailbox by its row's last_id. Adding items takes the row's lock
(an upsert that raises last_id) and writes them in the same transaction, so ids are given
and committed in order: a reader that saw id n never later finds a new item below n.

A notification is posted once per mailbox: its idempotency key goes into mailbox_notices
first, and a key already there refuses the whole post. The keys are kept apart from the
items, which are trimmed to the last `keep`: a process that takes a notice over from one
that died after posting it may post it again long after the first copy left the items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flows.engine.records import Mailbox, MailboxItem
from state.base import StoreBase
from state.db import Refusal, Row, Statement
from state.values import dump_json, load_json, to_micros

_POSTED = "posted"


def _items(rows: list[Row]) -> tuple[MailboxItem, ...]:
    return tuple(MailboxItem(row[0], {**load_json(row[1]), "id": row[0]}) for row in rows)


def _post_statements(
    token: str,
    items: Sequence[dict[str, Any]],
    language: str | None,
    now: int,
    keep: int,
    notice: str | None,
) -> list[Statement]:
    count = len(items)
    statements: list[Statement] = []
    if notice is not None:
        statements.append(
            Statement(
                "INSERT INTO mailbox_notices (token, notice, posted_at) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                (token, notice, now),
                refuse=Refusal(_POSTED, token),
            )
        )
    statements.append(
        Statement(
            "INSERT INTO mailboxes (token, last_id, language, touched_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (token) DO UPDATE SET last_id = mailboxes.last_id + $2, "
            "language = COALESCE($3, mailboxes.language), touched_at = $4",
            (token, count, language, now),
        )
    )
    # Item k of n gets last_id - (n - 1 - k): the ids just taken, in order.
    insert = (
        "INSERT INTO mailbox_items (token, id, notice, item, posted_at) "
        "SELECT CAST($1 AS TEXT), last_id - $2, CAST($3 AS TEXT), CAST($4 AS TEXT), "
        "CAST($5 AS BIGINT) FROM mailboxes WHERE token = $1"
    )
    if notice is not None:
        [item] = items
        statements.append(
            Statement(
                f"{insert} ON CONFLICT DO NOTHING",
                (token, 0, notice, dump_json(item), now),
                refuse=Refusal(_POSTED, token),
            )
        )
    elif items:
        rows = [(token, count - 1 - k, None, dump_json(item), now) for k, item in enumerate(items)]
        statements.append(Statement(insert, many=rows))
    statements.append(
        Statement(
            "DELETE FROM mailbox_items WHERE token = $1 "
            "AND id <= (SELECT last_id FROM mailboxes WHERE token = $1) - $2",
            (token, keep),
        )
    )
    return statements


class MailboxQueries(StoreBase):
    async def post_to_mailbox(
        self,
        token: str,
        items: Sequence[dict[str, Any]],
        language: str | None,
        *,
        keep: int,
        notice: str | None = None,
        reply_to: str | None = None,
        replies_kept: int = 20,
    ) -> list[int] | None:
        if notice is not None and len(items) != 1:
            raise ValueError("a notice is one item")
        statements = _post_statements(
            token, items, language, to_micros(self._clock()), keep, notice
        )
        if reply_to is not None:
            statements += [
                Statement(
                    "INSERT INTO mailbox_replies (token, client_id, first_id, last_id) "
                    "SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), last_id - $3 + 1, last_id "
                    "FROM mailboxes WHERE token = $1 "
                    "ON CONFLICT DO NOTHING",
                    (token, reply_to, len(items)),
                    refuse=Refusal(_POSTED, token),
                ),
                Statement(
                    "DELETE FROM mailbox_replies WHERE token = $1 AND client_id NOT IN "
                    "(SELECT client_id FROM mailbox_replies WHERE token = $1 "
                    "ORDER BY last_id DESC, first_id DESC LIMIT $2)",
                    (token, replies_kept),
                ),
            ]
        statements.append(
            Statement("SELECT last_id FROM mailboxes WHERE token = $1", (token,), rows=True)
        )
        outcome = await self._db.run(statements)
        if outcome.refused is not None:
            return None
        last = int(outcome.rows[-1][0][0])
        return list(range(last - len(items) + 1, last + 1))

    async def mailbox(
        self, token: str, after: int, touch_every: timedelta | None = None
    ) -> Mailbox:
        # The mailbox first: items up to its last_id only, so a reader that takes `last_id`
        # as seen cannot skip an item committed between the two reads.
        head = await self._db.fetchrow(
            "SELECT last_id, language, touched_at FROM mailboxes WHERE token = $1", token
        )
        if head is None:
            return Mailbox(token, (), 0)
        last_id, language = int(head[0]), head[1]
        now = self._clock()
        if touch_every is not None and head[2] < to_micros(now - touch_every):
            await self._db.execute(
                "UPDATE mailboxes SET touched_at = $2 WHERE token = $1 AND touched_at < $2",
                token,
                to_micros(now),
            )
        rows = await self._db.fetch(
            "SELECT id, item FROM mailbox_items WHERE token = $1 AND id > $2 AND id <= $3 "
            "ORDER BY id",
            token,
            after,
            last_id,
        )
        return Mailbox(token, _items(rows), last_id, language)

    async def mailbox_reply(self, token: str, reply_to: str) -> Mailbox | None:
        rows = await self._db.fetch(
            "SELECT r.first_id, r.last_id, m.language FROM mailbox_replies r "
            "JOIN mailboxes m ON m.token = r.token WHERE r.token = $1 AND r.client_id = $2",
            token,
            reply_to,
        )
        if not rows:
            return None
        first, last, language = int(rows[0][0]), int(rows[0][1]), rows[0][2]
        items = await self._db.fetch(
            "SELECT id, item FROM mailbox_items WHERE token = $1 AND id >= $2 AND id <= $3 "
            "ORDER BY id",
            token,
            first,
            last,
        )
        return Mailbox(token, _items(items), last, language)

    async def forget_mailboxes(self, untouched_for: timedelta, limit: int = 1000) -> int:
        cutoff = to_micros(self._clock() - untouched_for)
        # what a page was told that long ago goes, even from a chat still in use
        await self._db.execute(
            "DELETE FROM mailbox_items WHERE posted_at IS NULL OR posted_at < $1", cutoff
        )
        # a notice is taken over within a minute: a day covers every repeat
        await self._db.execute("DELETE FROM mailbox_notices WHERE posted_at < $1", cutoff)
        rows = await self._db.fetch(
            "SELECT token FROM mailboxes WHERE touched_at < $1 LIMIT $2", cutoff, limit
        )
        if not rows:
            return 0
        # The mailbox row goes first, and only if still untouched; then what no mailbox
        # owns any more (a post racing this one keeps its new row and items).
        gone = "NOT EXISTS (SELECT 1 FROM mailboxes m WHERE m.token = $1)"
        await self._db.run(
            [
                Statement(
                    "DELETE FROM mailboxes WHERE token = $1 AND touched_at < $2",
                    many=[(row[0], cutoff) for row in rows],
                ),
                Statement(
                    f"DELETE FROM mailbox_items WHERE token = $1 AND {gone}",
                    many=[(row[0],) for row in rows],
                ),
                Statement(
                    f"DELETE FROM mailbox_replies WHERE token = $1 AND {gone}",
                    many=[(row[0],) for row in rows],
                ),
                Statement(
                    f"DELETE FROM mailbox_notices WHERE token = $1 AND {gone}",
                    many=[(row[0],) for row in rows],
                ),
            ]
        )
        return len(rows)
