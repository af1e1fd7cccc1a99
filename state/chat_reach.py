"""What a messenger said about a chat: can it be written to, and how far did each
notification get. Shared by every process through the database (migration 0006)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flows.engine.messages import ConversationKey
from state.base import StoreBase
from state.values import to_micros

# How far a message got; a receipt only ever moves a message further.
RECEIPT_RANKS: dict[str, int] = {"sent": 0, "delivered": 1, "failed": 1, "seen": 2}


class ChatReachQueries(StoreBase):
    async def chat_reachable(self, key: ConversationKey) -> bool:
        """False when the messenger last said the person cannot be written to."""
        row = await self._db.fetchrow(
            "SELECT reachable FROM chat_reach WHERE channel = $1 AND user_key = $2",
            key.channel,
            key.user_key,
        )
        return row is None or bool(row[0])

    async def set_chat_reach(
        self, key: ConversationKey, reachable: bool, said_at: datetime
    ) -> bool:
        """Record what the messenger said at `said_at`, unless it already said something
        later (a late retry of an older event). True if this is now what is recorded."""
        changed = await self._db.execute(
            "INSERT INTO chat_reach (channel, user_key, reachable, said_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (channel, user_key) DO UPDATE SET "
            "reachable = excluded.reachable, said_at = excluded.said_at "
            "WHERE chat_reach.said_at < excluded.said_at",
            key.channel,
            key.user_key,
            1 if reachable else 0,
            to_micros(said_at),
        )
        return changed > 0

    async def chat_wrote(self, key: ConversationKey, said_at: datetime) -> bool:
        """The person wrote at `said_at`, which makes a chat reachable again (Viber
        subscribes whoever writes). Only a chat marked unreachable before that is
        written: the usual message costs one read. True if it was marked back."""
        row = await self._db.fetchrow(
            "SELECT reachable, said_at FROM chat_reach WHERE channel = $1 AND user_key = $2",
            key.channel,
            key.user_key,
        )
        if row is None or bool(row[0]) or int(row[1]) >= to_micros(said_at):
            return False
        return await self.set_chat_reach(key, True, said_at)

    async def record_sent(
        self, channel: str, tokens: Sequence[str], notice: str, at: datetime
    ) -> None:
        """The messages a notification (outbox effect `notice`) went out as."""
        if not tokens:
            return
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO message_receipts (channel, message_token, notice, status, rank, "
                "at) VALUES ($1, $2, $3, 'sent', 0, $4) ON CONFLICT DO NOTHING",
                [(channel, token, notice, to_micros(at)) for token in tokens],
            )

    async def record_receipt(self, channel: str, token: str, status: str, at: datetime) -> bool:
        """A delivery receipt for a message: kept if the message is a notification's and
        the receipt takes it further. True if recorded."""
        rank = RECEIPT_RANKS.get(status)
        if rank is None:
            raise ValueError(f"unknown receipt {status!r}")
        row = await self._db.fetchrow(
            "SELECT rank FROM message_receipts WHERE channel = $1 AND message_token = $2",
            channel,
            token,
        )
        if row is None or int(row[0]) >= rank:
            return False
        changed = await self._db.execute(
            "UPDATE message_receipts SET status = $3, rank = $4, at = $5 "
            "WHERE channel = $1 AND message_token = $2 AND rank < $4",
            channel,
            token,
            status,
            rank,
            to_micros(at),
        )
        return changed > 0

    async def receipts(self, notice: str) -> list[str]:
        """How far each message of a notification got, in the order they were sent."""
        rows = await self._db.fetch(
            "SELECT status FROM message_receipts WHERE notice = $1 ORDER BY at, message_token",
            notice,
        )
        return [str(row[0]) for row in rows]

    async def forget_chat_records(self, older_than: datetime) -> int:
        """Receipts older than the cut-off, and "reachable" marks too old to be
        contradicted by a late retry; an "unreachable" mark stays while it holds."""
        cutoff = to_micros(older_than)
        receipts = await self._db.execute("DELETE FROM message_receipts WHERE at < $1", cutoff)
        reach = await self._db.execute(
            "DELETE FROM chat_reach WHERE reachable = 1 AND said_at < $1", cutoff
        )
        return receipts + reach
