"""A process keeps the conversations it saved in memory, never for long: what another
process wiped or purged leaves this one's memory within the cache's time to live."""

from __future__ import annotations

import asyncio

from state.cache import ConversationCache

ANA = ("telegram", "ana")
SAVED = ("registration", "jmbg", '{"slots": {"jmbg": "0512981717776"}}', 7, 1)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_copy_unused_for_longer_than_its_time_to_live_is_gone() -> None:
    clock = Clock()
    cache = ConversationCache(ttl_s=45, clock=clock)
    cache.put(ANA, SAVED)
    clock.now += 30
    assert cache.get(ANA) == SAVED
    clock.now += 16
    assert cache.get(ANA) is None and len(cache) == 0


async def test_an_idle_process_forgets_by_itself() -> None:
    cache = ConversationCache(ttl_s=0.05)
    cache.put(ANA, SAVED)
    cache.put(("kiosk", "kg:token"), SAVED)
    await asyncio.sleep(0.2)  # nobody asks: the sweep the cache scheduled runs anyway
    assert len(cache) == 0


def test_the_least_recently_used_go_first_when_full() -> None:
    cache = ConversationCache(size=2)
    cache.put(("t", "1"), SAVED)
    cache.put(("t", "2"), SAVED)
    cache.put(("t", "3"), SAVED)
    assert cache.get(("t", "1")) is None and cache.get(("t", "3")) == SAVED
