"""A bot's bot-wide limit held across every process that sends for it, through the store.

Telegram allows a bot about 30 messages a second, however many processes send for it.
Time is cut into slices of SLICE_S (a tenth of a second, numbered from the epoch on the
wall clock, which the processes share through NTP); each slice allows its part of the
limit (29.5 a second: 3, 3, ..., 2 in turn). Before a send, the process holds a token of
the slice it goes out in. It takes them from the store (SendSlots) a few at a time, as
many as it has sends waiting, so a statement serves several messages; a token not used
before its slice ends is dropped, so nothing is saved up for a burst later. Small slices
keep any one second, wherever it starts, within a slice's tokens of the limit.

A token is good in its own slice, when the call leaves, and LATE_S after: a send held up
on its way after the token was taken (its in-flight mark committed on a slow database, a
busy event loop, a free connection awaited) gives it up and takes another (in_time), or
the calls of a slice would arrive in the next one, on top of the calls counted there.

Replies go first across processes as within one: a reply to someone in a dialogue may
take tokens of the slices of the next second, a reply to someone who just opened the bot
of the next slice, a queued notification only of the slice under way. So a notification
gets what the replies of every process left over.

When the store cannot be reached, or takes longer than STATEMENT_S to answer, the
process paces alone (its own limiter) for ALONE_S: a few seconds of going over the limit,
which Telegram answers with 429s that the sender waits out, rather than no messages.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from flows.engine.channel_ports import SendSlots

log = logging.getLogger(__name__)

SLICE_S = 0.1
# Slices ahead of the one under way that a send may take tokens of, by its priority
# (bot.pacing: URGENT, FIRST_CONTACT, QUEUED).
LOOK_AHEAD = (10, 1, 0)
MAX_BATCH = 8  # tokens taken in one statement at most
LATE_S = 0.05  # a token still goes this long after its slice (the post is on its way)
STATEMENT_S = 1.0  # a slower answer from the store: pace alone for ALONE_S
ALONE_S = 5.0


class SharedPace:
    def __init__(
        self,
        slots: SendSlots,
        bot: str,
        per_second: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._slots = slots
        self._bot = bot
        self._per_slice = per_second * SLICE_S
        self._clock = clock
        self._slice = -1  # the slice of the tokens in hand
        self._tokens = 0
        self._full_to = -1  # slices up to this one were found full
        self.statements = 0  # asked of the store (for the benchmark's cost per message)
        self._alone_until = 0.0

    def limit(self, slice_no: int) -> int:
        """Tokens of slice `slice_no`: its part of the per-second limit, in whole messages."""
        return math.floor((slice_no + 1) * self._per_slice) - math.floor(slice_no * self._per_slice)

    def ready_now(self) -> bool:
        """A token in hand for the slice under way (a send may go without waiting)."""
        return self._tokens > 0 and self._slice == self._now_slice()

    def use(self) -> int | None:
        """A send goes out on a token in hand (after ready_now() or wait()): the slice it
        is of, None when the process paces alone (no token)."""
        if self._tokens == 0:
            return None
        self._tokens -= 1
        return self._slice

    def in_time(self, slice_no: int | None) -> bool:
        """A token of slice `slice_no` (from use()) may still go out now."""
        return slice_no is None or self._clock() < (slice_no + 1) * SLICE_S + LATE_S

    async def wait(self, priority: int, demand: int) -> None:
        """Until a token is in hand and its slice has begun. `demand`: the sends waiting
        in this process (tokens worth taking at once)."""
        while True:
            now = self._clock()
            current = int(now // SLICE_S)
            if self._tokens > 0 and self._slice >= current:
                if self._slice > current:
                    await asyncio.sleep(self._slice * SLICE_S - now)
                    continue
                return
            self._tokens = 0  # of a slice gone by: dropped
            if now < self._alone_until:
                return  # the store was away: the own limiter paces alone for a while
            if not await self._take(current, priority, demand):
                await asyncio.sleep((current + 1) * SLICE_S - now)

    async def _take(self, current: int, priority: int, demand: int) -> bool:
        last = current + LOOK_AHEAD[min(priority, len(LOOK_AHEAD) - 1)]
        for slice_no in range(max(current, self._full_to + 1), last + 1):
            want = min(max(demand, 1), MAX_BATCH)
            self.statements += 1
            try:
                async with asyncio.timeout(STATEMENT_S):
                    taken = await self._slots.take_send_slots(
                        self._bot, slice_no, want, self.limit(slice_no)
                    )
            except Exception as exc:  # the database is away, or too busy to answer in time
                log.warning("bot-wide pace not shared for now (%s)", type(exc).__name__)
                self._alone_until = self._clock() + ALONE_S
                return True
            if taken:
                self._slice, self._tokens = slice_no, taken
                return True
            self._full_to = slice_no
        return False

    def _now_slice(self) -> int:
        return int(self._clock() // SLICE_S)
