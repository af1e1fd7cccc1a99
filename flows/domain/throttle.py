"""Throttling guesses of one-time enrollment codes: a chat may get 5 codes wrong; after
that it waits a minute, then 2, 4, 8... after each further wrong code (at most a day). All
chats together may get 20 wrong (someone guessing from many chats); then everyone waits
the same way. Counting starts again a day after the last wrong code, and a chat's own
count at its successful enrollment.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

CHAT_FREE_TRIES = 5
EVERYONE_FREE_TRIES = 20
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)
FORGIVEN_AFTER = timedelta(days=1)


def counted(failures: int, last_at: datetime | None, now: datetime) -> int:
    """The wrong codes that still count: none once the last one is a day old."""
    if last_at is None or now - last_at >= FORGIVEN_AFTER:
        return 0
    return failures


def wait_after(failures: int, free_tries: int) -> timedelta:
    """How long to wait after this many wrong codes in a row."""
    if failures < free_tries:
        return timedelta(0)
    doublings = min(failures - free_tries, 20)  # 2**20 minutes is well past a day
    wait: timedelta = FIRST_WAIT * (1 << doublings)
    return min(wait, LONGEST_WAIT)


def minutes_left(blocked_until: datetime | None, now: datetime) -> int:
    """Whole minutes, rounded up, until a new code may be tried (0: now)."""
    if blocked_until is None or blocked_until <= now:
        return 0
    return math.ceil((blocked_until - now) / timedelta(minutes=1))
