"""The conversations this process saved last: a cache that forgets on its own.

Optimistic concurrency keeps it honest about the state (a stale copy can only lead to a
save refused as a version conflict, which drops it; where copies are mostly stale, as when
processes take a chat's messages in turn, the store stops using them: state/cache_trust.py).
Forgetting keeps it honest about personal data: a copy lives at most `ttl_s` after its
last use, so what another process wiped (a kiosk session) or purged is gone from this
process's memory within that time, busy or idle.

It is bounded by bytes (`max_bytes`), not by a count: a conversation's data can be a few
hundred bytes or many kilobytes. When a new copy would pass the bound, the least recently
used go first. Nothing is lost by forgetting: every copy was committed before it was put
here, and a conversation not found here is read from the store. Each copy is kept as the
UTF-8 JSON the store wrote (not as the objects it was made from), with its key as one
string, in one small object: about 400 bytes beside the JSON (`ENTRY_OVERHEAD`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

Key = tuple[str, str]  # (channel, user_key)

# Shorter than the kiosk's idle limit: a kiosk conversation wiped at its idle time was
# last used longer ago than this in every process.
CACHE_TTL_S = 45.0
CACHE_BYTES = 16 * 1024 * 1024  # about 24,000 conversations in the middle of a registration

# What one copy costs beyond its JSON's and its key's characters: the entry object, the
# key's and the JSON's headers, version, updated_at, last use and size, and its slot in the
# ordered dict. Measured with tracemalloc (CPython 3.11, 64-bit): 360 to 430 bytes, as the
# dict's table is more or less full.
ENTRY_OVERHEAD = 400


class CachedConversation:
    """A conversation as the store saved it: flow, state, its data as UTF-8 JSON, the
    version and updated_at (microseconds) it was saved at."""

    __slots__ = ("data", "flow", "served", "size", "state", "updated_at", "used", "version")

    def __init__(self, flow: str, state: str, data: bytes, version: int, updated_at: int) -> None:
        self.flow = flow  # mostly the flows' own name strings, shared, not copied
        self.state = state
        self.data = data
        self.version = version
        self.updated_at = updated_at
        self.used = 0.0  # when it was last put (the cache's clock)
        self.size = 0  # what it counts for against max_bytes
        self.served = False  # a turn was computed from it: its save judges it (CacheTrust)


def _flat(key: Key) -> str:
    """One string for (channel, user_key): half the memory of a tuple of two."""
    return f"{key[0]}\x1f{key[1]}"


class ConversationCache:
    def __init__(
        self,
        max_bytes: int = CACHE_BYTES,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.max_bytes = max_bytes
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[str, CachedConversation] = OrderedDict()
        self._bytes = 0
        self._sweep: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """What the copies held now count for (at most max_bytes)."""
        return self._bytes

    def get(self, key: Key) -> CachedConversation | None:
        flat = f"{key[0]}\x1f{key[1]}"  # _flat, written out: this runs for every message
        found = self._entries.get(flat)
        if found is None:
            return None
        if self._clock() - found.used > self._ttl_s:
            self._remove(flat)
            return None
        return found

    def put(self, key: Key, value: CachedConversation) -> None:
        flat = f"{key[0]}\x1f{key[1]}"  # _flat and _remove written out: every message
        entries = self._entries
        gone = entries.pop(flat, None)
        if gone is not None:
            self._bytes -= gone.size
        value.size = size = len(value.data) + len(flat) + ENTRY_OVERHEAD
        if size > self.max_bytes:  # never kept: the store has it
            return
        value.used = self._clock()
        entries[flat] = value
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, oldest = entries.popitem(last=False)
            self._bytes -= oldest.size
        if self._sweep is None:
            self._schedule()

    def drop(self, key: Key) -> None:
        self._remove(_flat(key))

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def forget_stale(self) -> None:
        """Least recently used first: only the stale front of the queue is looked at."""
        cutoff = self._clock() - self._ttl_s
        while self._entries:
            flat, oldest = next(iter(self._entries.items()))
            if oldest.used > cutoff:
                break
            self._remove(flat)
        self._sweep = None
        self._schedule()

    def _remove(self, flat: str) -> None:
        gone = self._entries.pop(flat, None)
        if gone is not None:
            self._bytes -= gone.size

    def _schedule(self) -> None:
        if self._sweep is not None or not self._entries:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): lookups still expire
            return
        self._sweep = loop.call_later(self._ttl_s, self.forget_stale)
