"""What `make bench-telegram` computes from the messages the local Bot API server accepted.

A reply's *ideal* time is when it would go out if the bot sent every reply in the order
people wrote, back to back at exactly the cap (and no sooner than it was written): the
best any implementation can do for everyone at once. Its *excess* is how much later it
actually went. *Fairness* is Jain's index, (sum x)^2 / (n * sum x^2), over the first
contacts' chats, of x = (ideal delay + 1 s) / (actual delay + 1 s): 1 when each one waits
what its place in the queue costs, lower when some chats wait longer than their place
(starved, overtaken) while others go early. The second added to both keeps a reply due at
once from dividing by zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    written: float  # when the person's message reached the Bot API server
    messages: int  # how many messages the reply took
    sent: float  # when its first message was accepted
    first_contact: bool


def ideal_times(replies: Sequence[Reply], cap: float) -> list[float]:
    """Each reply's first message's ideal time (in the order of `replies`)."""
    order = sorted(range(len(replies)), key=lambda i: replies[i].written)
    ideal = [0.0] * len(replies)
    free_at = float("-inf")  # the next slot under the cap
    for i in order:
        start = max(replies[i].written, free_at)
        ideal[i] = start
        free_at = start + replies[i].messages / cap
    return ideal


def excess(replies: Sequence[Reply], cap: float) -> list[float]:
    return [r.sent - t for r, t in zip(replies, ideal_times(replies, cap), strict=True)]


def fairness(replies: Sequence[Reply], cap: float) -> float:
    shares = [
        (t - r.written + 1.0) / (r.sent - r.written + 1.0)
        for r, t in zip(replies, ideal_times(replies, cap), strict=True)
        if r.first_contact
    ]
    if not shares:
        return float("nan")
    return sum(shares) ** 2 / (len(shares) * sum(x * x for x in shares))


def quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
