"""What every part of the SQL store shares: the database and the clock."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from state.db import Database
from state.values import utc_now

Clock = Callable[[], datetime]


# The conversations this process saved last, as saved (flow, state, data JSON, version,
# updated_at). Optimistic concurrency keeps the cache honest: a stale entry (another process
# wrote since) can only lead to a save refused as a version conflict, which drops the entry
# and makes the engine load afresh.
CachedConversation = tuple[str, str, str, int, int]
CACHE_SIZE = 20_000


class StoreBase:
    owner: str  # this process's id (state.leases.new_owner): who claims and holds leases

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock
        self._conversations: OrderedDict[tuple[str, str], CachedConversation] = OrderedDict()

    @property
    def dialect(self) -> str:
        return self._db.dialect
