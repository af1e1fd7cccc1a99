"""Whether this process's copies of conversations are worth using.

A copy is right when the database still holds its version. With one process, or with each
chat's messages reaching the same process, nearly every copy is right, and using it saves
a read a message. When several processes share the messages of each chat (webhooks spread
over processes in turn), the copy is usually stale: the turn is computed from it, the save
is refused as a version conflict, and the turn is computed again from a fresh read. That
costs a turn and two round trips where a read costs one round trip, so a copy is worth
using only while about two in three are right.

Every copy this process used, or could have used, is a sample: a used copy is judged by
its save (refused as stale, or not), an unused one by the read made instead (the same
version, or not). The share of right copies is a moving average over the last few dozen
samples, so the store follows a change of how messages are spread, both ways. Each
channel is judged apart: a kiosk's requests may keep to one process while Telegram's
updates go round.
"""

from __future__ import annotations

from collections import defaultdict

# Break-even: a stale copy costs a wasted turn and two round trips, a read one round trip;
# with a turn costing about a round trip, copies pay when at least 2/3 of them are right.
TRUSTED_SHARE = 2 / 3
SAMPLE_WEIGHT = 1 / 32  # each sample's weight in the average: about the last 32 count


class CacheTrust:
    __slots__ = ("right_share",)

    def __init__(self) -> None:
        self.right_share = 1.0  # until shown otherwise: one process is the common case

    @property
    def trusted(self) -> bool:
        return self.right_share >= TRUSTED_SHARE

    def judge(self, right: bool) -> None:
        self.right_share += SAMPLE_WEIGHT * (float(right) - self.right_share)


class ChannelTrust(defaultdict[str, CacheTrust]):
    """A CacheTrust per channel (a handful: the channels are the product's own)."""

    def __init__(self) -> None:
        super().__init__(CacheTrust)
