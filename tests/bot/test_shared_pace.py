"""A bot-wide token of the shared pace is good for its own slice only, when the call
leaves: a send held up past its slice (its in-flight mark written on a slow database)
takes a new token, so no slice sees more of the bot's calls than the processes counted
in it (bot/shared_pace.py).

The clock here stands still unless the test moves it: the slices are the test's, not
the machine's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.pacing import QUEUED, ChatId, SendLimiter, SendLimits
from bot.sending import Sender
from bot.shared_pace import SLICE_S, SharedPace
from state import open_store
from state.store import SqlStore

PER_SECOND = 30  # 3 in a slice


class StandingClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class CountingTransport:
    """The messenger (an outside system): counts each post in the slice it arrives in."""

    def __init__(self, clock: StandingClock) -> None:
        self.clock = clock
        self.per_slice: Counter[int] = Counter()
        self.posted = 0
        self.others_posted = asyncio.Event()

    async def post(self, chat_id: ChatId, message: str) -> str:
        self.per_slice[int(self.clock() // SLICE_S)] += 1
        self.posted += 1
        if self.posted == 3:
            self.others_posted.set()
        return message


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = await open_store(f"sqlite:///{tmp_path / 'pace.db'}")
    yield opened
    await opened.close()


async def test_a_send_held_up_past_its_slice_takes_a_token_of_a_later_one(
    store: SqlStore,
) -> None:
    clock = StandingClock(start=1_000_000 * SLICE_S + 0.001)  # a slice has just begun
    # The process's own pace is far above the shared one: only the tokens count here.
    limiter = SendLimiter(SendLimits(per_second=1000, per_chat_per_second=100, per_chat_burst=5))
    pace = limiter.shared = SharedPace(store, "telegram", PER_SECOND, clock=clock)
    transport = CountingTransport(clock)
    sender: Sender[str, str] = Sender(transport, limiter, name="test")
    sender.ready = True

    async def slow_mark(_: int) -> None:
        """The in-flight mark of the first notice commits on a loaded database: a
        quarter of a second, while the other notices go out in the slice it ends in."""
        clock.now += 2.5 * SLICE_S
        await transport.others_posted.wait()

    async def notice(chat: int) -> None:
        mark = slow_mark if chat == 0 else None
        await sender.send(chat, [f"notice {chat}"], priority=QUEUED, max_wait_s=5, before_post=mark)

    sends = asyncio.gather(*(notice(chat) for chat in range(4)))
    await transport.others_posted.wait()
    async with asyncio.timeout(10):
        while transport.posted < 4:  # the clock moves on, a slice at a time, until all went
            await asyncio.sleep(0.05)
            clock.now += SLICE_S
        await sends
    await limiter.close()

    over = {s: n for s, n in transport.per_slice.items() if n > pace.limit(s)}
    assert not over, f"more calls than the slice allows: {over}"
    assert sender.stats.late_tokens == 1  # the held-up notice's, given up for a later one
