"""The conversations this process saved last: a cache that forgets on its own.

Optimistic concurrency keeps it honest about the state (a stale copy can only lead to a
save refused as a version conflict, which drops it). Forgetting keeps it honest about
personal data: a copy lives at most `ttl_s` after its last use, so what another process
wiped (a kiosk session) or purged is gone from this process's memory within that time,
busy or idle.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

# (flow, state, data JSON, version, updated_at), as saved
CachedConversation = tuple[str, str, str, int, int]
Key = tuple[str, str]

CACHE_SIZE = 20_000
# Shorter than the kiosk's idle limit: a kiosk conversation wiped at its idle time was
# last used longer ago than this in every process.
CACHE_TTL_S = 45.0


class ConversationCache:
    def __init__(
        self,
        size: int = CACHE_SIZE,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[float, CachedConversation]] = OrderedDict()
        self._sweep: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> CachedConversation | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock() - found[0] > self._ttl_s:
            del self._entries[key]
            return None
        return found[1]

    def put(self, key: Key, value: CachedConversation) -> None:
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        self._schedule()

    def drop(self, key: Key) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def forget_stale(self) -> None:
        """Least recently used first: only the stale front of the queue is looked at."""
        cutoff = self._clock() - self._ttl_s
        while self._entries:
            key, (used, _) = next(iter(self._entries.items()))
            if used > cutoff:
                break
            del self._entries[key]
        self._sweep = None
        self._schedule()

    def _schedule(self) -> None:
        if self._sweep is not None or not self._entries:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): lookups still expire
            return
        self._sweep = loop.call_later(self._ttl_s, self.forget_stale)
