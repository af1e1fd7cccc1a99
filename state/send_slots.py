"""Send slots (flows.engine.channel_ports.SendSlots): a bot's messages per time slice,
counted for every process that sends for it.

Time is cut in short slices (numbered from the epoch); a slice allows a bot a few
messages. A process takes tokens of a slice for the sends it has waiting, in one
conditional statement: it gets what is left up to what it asked, or nothing when the
slice is full, so the processes together never take more than the slice allows.

PostgreSQL: an unlogged table (0012_send_slots.sql), one row per bot and slice modulo a
ring, so rows are reused as time goes on; a row left by an earlier slice starts over.
SQLite is served by one process: the counts live in memory, shared by the stores of this
process on the same file, in the same ring.
"""

from __future__ import annotations

import weakref

from state.base import StoreBase

RING = 64  # rows per bot: far more slices than anyone takes ahead

# What is left of the slice is taken, up to what was asked ($4) and the limit ($5). A row
# of an earlier slice (the ring came round) starts over; one of a later slice (a process
# whose clock is behind) is left alone, and the caller gets nothing.
_TAKE = (
    "INSERT INTO send_slots (bot, ring, slice, used, taken) VALUES ($1, $2, $3, $4, $4) "
    "ON CONFLICT (bot, ring) DO UPDATE SET "
    "taken = CASE WHEN send_slots.slice = excluded.slice "
    "THEN LEAST(send_slots.used + $4, $5) - send_slots.used ELSE excluded.used END, "
    "used = CASE WHEN send_slots.slice = excluded.slice "
    "THEN LEAST(send_slots.used + $4, $5) ELSE excluded.used END, "
    "slice = excluded.slice "
    "WHERE send_slots.slice < excluded.slice "
    "OR (send_slots.slice = excluded.slice AND send_slots.used < $5) "
    "RETURNING taken"
)


class _Counts(dict[tuple[str, int], tuple[int, int]]):
    """SQLite: (bot, ring) -> (slice, used), as the rows on PostgreSQL."""


_BY_FILE: weakref.WeakValueDictionary[str, _Counts] = weakref.WeakValueDictionary()


class SendSlotQueries(StoreBase):
    _send_counts: _Counts | None = None

    async def take_send_slots(self, bot: str, slice_no: int, want: int, limit: int) -> int:
        """Take up to `want` tokens of slice `slice_no` for `bot`, which allows `limit`
        messages in all; returns how many were taken (0: the slice is full)."""
        want = min(want, limit)
        if want <= 0:
            return 0
        if self._db.dialect != "postgres":
            return _take_in_memory(await self._counts(), bot, slice_no, want, limit)
        rows = await self._db.fetch_written(_TAKE, bot, slice_no % RING, slice_no, want, limit)
        return int(rows[0][0]) if rows else 0

    async def _counts(self) -> _Counts:
        """The counts of every store of this process on the same SQLite file."""
        if self._send_counts is None:
            rows = await self._db.fetch("PRAGMA database_list")
            path = next((str(row[2]) for row in rows if row[1] == "main"), "")
            if not path:  # in memory: a database of this store's own
                self._send_counts = _Counts()
            else:
                self._send_counts = _BY_FILE.get(path) or _BY_FILE.setdefault(path, _Counts())
        return self._send_counts


def _take_in_memory(counts: _Counts, bot: str, slice_no: int, want: int, limit: int) -> int:
    row = (bot, slice_no % RING)
    held, used = counts.get(row, (slice_no, 0))
    if held > slice_no:
        return 0
    if held < slice_no:
        used = 0
    taken = max(0, min(want, limit - used))
    counts[row] = (slice_no, used + taken)
    return taken
