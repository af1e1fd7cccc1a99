"""What every part of the SQL store shares: the database and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from state.cache import CACHE_BYTES, ConversationCache
from state.cache_trust import ChannelTrust
from state.db import Database
from state.values import utc_now
from state.wakeups import CONVERSATIONS_DROPPED, StoreWakeups, dropped_key, wakeups_for

Clock = Callable[[], datetime]


class StoreBase:
    owner: str  # this process's id (state.leases.new_owner): who claims and holds leases

    def __init__(
        self, db: Database, clock: Clock = utc_now, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self._db = db
        self._clock = clock
        self._conversations = ConversationCache(max_bytes=cache_bytes)
        self._cache_trust = ChannelTrust()
        self._wakeups: StoreWakeups = wakeups_for(db)

    async def _conversations_dropped(self, payload: str) -> None:
        """Conversations were deleted: no process keeps a copy (payload: one key, or "" for
        all of them)."""
        if payload:
            key = dropped_key(payload)
            if key is not None:
                self._conversations.drop(key)
        else:
            self._conversations.clear()
        await self._wakeups.notify(CONVERSATIONS_DROPPED, payload)

    async def erase_for_good(self) -> None:
        """Deleted rows leave the database file too. SQLite overwrites what is deleted
        (secure_delete) and here empties its write-ahead log, which still holds the pages
        as they were; PostgreSQL's autovacuum reclaims dead rows in its own time."""
        await self._db.checkpoint()

    @property
    def dialect(self) -> str:
        return self._db.dialect
