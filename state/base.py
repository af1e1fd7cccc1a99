"""What every part of the SQL store shares: the database and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from state.cache import ConversationCache
from state.db import Database
from state.values import utc_now

Clock = Callable[[], datetime]


class StoreBase:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock
        self._conversations = ConversationCache()

    @property
    def dialect(self) -> str:
        return self._db.dialect
