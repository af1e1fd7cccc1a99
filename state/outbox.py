"""The outbox: effects waiting to be carried out, each claimed by one process at a time.

A claim is a short lease: the claiming process (the store's owner) renews it while it
delivers, and only it may mark the outcome. A process that dies leaves its claims to run
out within seconds; another process then takes the effects.

One chat's notifications are a queue (column `recipient`): only its head can be claimed,
and with it, by the same process in the same transaction, the due notices behind it, to be
sent after it. A later notice waits while an earlier one is claimed (on its way, maybe in
a process that just died), backs off after a failure, or is due and not yet taken; so
notices reach a chat in the order they were written, whichever processes deliver them. A
notice not due yet (none is, today) holds up nothing.

Before each message of a notification goes to a messenger that cannot tell a repeat, the
claiming process records it in flight (`effect_sending`, a commit of its own); the outcome
clears the mark. A claim that finds the mark set is a takeover in doubt (see OutboxItem).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from flows.engine.messages import ConversationKey
from flows.engine.records import Effect, OutboxItem
from state.base import StoreBase
from state.db import Row
from state.values import dump_json, from_micros, load_json, to_micros

LEFT_FOR_OTHERS = timedelta(hours=1)  # then an effect nobody able to took is given up
_CLAIMED = (
    "id, idempotency_key, kind, payload, attempts, next_attempt_at, created_at, sent_parts, "
    "sending_by, recipient"
)
# No earlier notice of the same chat is pending and started: claimed (on its way), tried
# before (backing off) or due now ($1). Effects of no chat (recipient NULL) wait for none.
_HEAD_OF_CHAT = (
    "NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.recipient = outbox.recipient "
    "AND earlier.status = 'pending' AND earlier.id < outbox.id AND (earlier.next_attempt_at "
    "<= $1 OR earlier.attempts > 0 OR earlier.claimed_by IS NOT NULL))"
)


def _item(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        effect=Effect(kind=row[2], key=row[1], payload=load_json(row[3])),
        attempts=row[4],
        next_attempt_at=from_micros(row[5]),
        created_at=from_micros(row[6]),
        sent_parts=row[7],
        sending_by=row[8],
        recipient=row[9],
    )


class OutboxQueries(StoreBase):
    async def claim_effects(
        self,
        now: datetime,
        limit: int,
        lease_s: float,
        *,
        channels: Sequence[str] | None = None,
        recipients: Sequence[ConversationKey] = (),
        skip_kinds: Sequence[str] = (),
    ) -> list[OutboxItem]:
        """Due effects, oldest due first, claimed for this process. Claiming moves their
        next attempt to the end of the claim: a process that dies leaves them to be
        claimed again then, and until then nobody else takes them. Each item's
        next_attempt_at is its claim's end. A process takes only what it can carry out:
        notifications for `channels` (None: any) or to one of `recipients` (a terminal's
        own person), and no effect of `skip_kinds`; the rest
        waits for a process that can, for an hour at most (then any process takes it and
        gives it up, so nothing undeliverable piles up)."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        args: list[object] = [
            to_micros(now),
            to_micros(now + timedelta(seconds=lease_s)),
            limit,
            self.owner,
        ]
        able: list[str] = []
        if skip_kinds:
            args.append(self._sql_list(skip_kinds))
            able.append(f"NOT {self._among('kind', len(args), 'text')}")
        if channels is not None:
            args.append(self._sql_list(channels))
            to = [self._among(self._outbound("channel"), len(args), "text")]
            if recipients:  # "channel:user_key", as str(ConversationKey)
                args.append(self._sql_list([str(key) for key in recipients]))
                who = f"{self._outbound('channel')} || ':' || {self._outbound('user_key')}"
                to.append(self._among(f"({who})", len(args), "text"))
            # 'notify': flows.engine.notify.NOTIFY
            able.append(f"(kind <> 'notify' OR {' OR '.join(to)})")
        only = ""
        if able:
            args.append(to_micros(now - LEFT_FOR_OTHERS))
            only = f" AND (created_at <= ${len(args)} OR ({' AND '.join(able)}))"
        # MATERIALIZED: the pick runs once. Inlined as a semi-join, PostgreSQL may rescan
        # it per row and take more than `limit` (its own locks do not make it skip).
        heads = (
            "WITH due AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' "
            f"AND next_attempt_at <= $1{only} AND {_HEAD_OF_CHAT} "
            f"ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) "
            "UPDATE outbox SET next_attempt_at = $2, claimed_by = $4 "
            "WHERE status = 'pending' AND next_attempt_at <= $1 AND id IN (SELECT id FROM due) "
            f"RETURNING {_CLAIMED}"
        )
        async with self._db.transaction() as tx:
            rows = await tx.fetch(heads, *args)
            chats = sorted({row[9] for row in rows if row[9] is not None})
            if chats and len(rows) < limit:
                rows += await tx.fetch(
                    self._followers_sql(),
                    *args[:2],
                    limit - len(rows),
                    self.owner,
                    self._sql_list(chats),
                )
        return sorted((_item(row) for row in rows), key=lambda item: (item.created_at, item.id))

    def _followers_sql(self) -> str:
        """The due notices queued behind the heads just claimed, for the same process to
        send after them, in order ($5: the heads' chats). No other process can take them
        meanwhile: a chat's head held by this one holds them back for every other."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        return (
            "WITH next AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' "
            f"AND next_attempt_at <= $1 AND {self._among('recipient', 5, 'text')} "
            f"ORDER BY id LIMIT $3{skip_locked}) "
            "UPDATE outbox SET next_attempt_at = $2, claimed_by = $4 "
            f"WHERE status = 'pending' AND id IN (SELECT id FROM next) RETURNING {_CLAIMED}"
        )

    def _outbound(self, field: str) -> str:
        """A field of a notification's outbound message (flows.engine.codec.outbound_to_json)."""
        if self._db.dialect == "postgres":
            return f"(payload::json -> 'outbound' ->> '{field}')"
        return f"json_extract(payload, '$.outbound.{field}')"

    def _sql_list(self, values: Sequence[object]) -> object:
        """A list as one parameter: an array on PostgreSQL, JSON text on SQLite."""
        return list(values) if self._db.dialect == "postgres" else json.dumps(list(values))

    def _among(self, what: str, param: int, pg_type: str) -> str:
        """`what` is one of the list in parameter `param` (see _sql_list)."""
        if self._db.dialect == "postgres":
            return f"{what} = ANY(${param}::{pg_type}[])"
        return f"{what} IN (SELECT value FROM json_each(${param}))"

    async def renew_effects(self, item_ids: Sequence[int], lease_s: float) -> int:
        """Extend this process's claims on these effects (still pending) by lease_s from
        now; returns how many it still held."""
        if not item_ids:
            return 0
        return await self._db.execute(
            "UPDATE outbox SET next_attempt_at = $1 WHERE claimed_by = $2 "
            f"AND status = 'pending' AND {self._among('id', 3, 'bigint')}",
            to_micros(self._clock() + timedelta(seconds=lease_s)),
            self.owner,
            self._sql_list(item_ids),
        )

    async def effect_done(self, item_id: int) -> bool:
        """False (nothing changed) when this process no longer holds the claim."""
        changed = await self._db.execute(
            "UPDATE outbox SET status = 'done', finished_at = $2, error = NULL, "
            "sending_by = NULL, claimed_by = NULL "
            "WHERE id = $1 AND status = 'pending' AND claimed_by = $3",
            item_id,
            to_micros(self._clock()),
            self.owner,
        )
        return changed > 0

    async def release_effects(self, item_ids: Sequence[int]) -> int:
        """Give claimed effects back untried (they waited behind one that must be tried
        again later): due at once, held back by that one until it is settled."""
        if not item_ids:
            return 0
        return await self._db.execute(
            "UPDATE outbox SET claimed_by = NULL, next_attempt_at = $1 WHERE claimed_by = $2 "
            f"AND status = 'pending' AND {self._among('id', 3, 'bigint')}",
            to_micros(self._clock()),
            self.owner,
            self._sql_list(item_ids),
        )

    async def effect_sending(self, item_id: int, part: int) -> bool:
        """Message `part` of the notification is about to go to the messenger (the ones
        before it were accepted): recorded in flight, in a commit of its own. False (send
        nothing) when this process no longer holds the claim."""
        changed = await self._db.execute(
            "UPDATE outbox SET sending_by = $3, sent_parts = $2 "
            "WHERE id = $1 AND status = 'pending' AND claimed_by = $3",
            item_id,
            part,
            self.owner,
        )
        return changed > 0

    async def effect_uncertain(self, item_id: int, error: str) -> bool:
        """Given up in doubt: a message of it may or may not have arrived, and it is not
        sent again (a notice that must reach its chat at most once)."""
        changed = await self._db.execute(
            "UPDATE outbox SET status = 'uncertain', finished_at = $2, error = $3, "
            "sending_by = NULL, claimed_by = NULL WHERE id = $1 AND status = 'pending' "
            "AND claimed_by = $4",
            item_id,
            to_micros(self._clock()),
            error,
            self.owner,
        )
        return changed > 0

    async def effect_resend(self, item_id: int, effect: Effect) -> bool:
        """Taken over in doubt, to be sent again as `effect` now says (its payload):
        from here on an ordinary notice, sent from its first message not accepted."""
        changed = await self._db.execute(
            "UPDATE outbox SET payload = $2, sending_by = NULL "
            "WHERE id = $1 AND status = 'pending' AND claimed_by = $3",
            item_id,
            dump_json(effect.payload),
            self.owner,
        )
        return changed > 0

    async def effect_retry(self, item_id: int, at: datetime, error: str) -> bool:
        """Try again at `at`, from the first message not accepted yet (what was on its way
        failed: the mark in flight is cleared)."""
        changed = await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, error = $3, "
            "sending_by = NULL, claimed_by = NULL WHERE id = $1 AND status = 'pending' "
            "AND claimed_by = $4",
            item_id,
            to_micros(at),
            error,
            self.owner,
        )
        return changed > 0

    async def effect_failed(self, item_id: int, error: str) -> bool:
        changed = await self._db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, finished_at = $2, "
            "error = $3, sending_by = NULL, claimed_by = NULL WHERE id = $1 "
            "AND status = 'pending' AND claimed_by = $4",
            item_id,
            to_micros(self._clock()),
            error,
            self.owner,
        )
        return changed > 0
