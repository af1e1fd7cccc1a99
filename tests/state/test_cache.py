"""A process keeps the conversations it saved in memory, never for long and never more than
its bytes allow: what another process wiped or purged leaves this one's memory within the
cache's time to live, and a conversation the cache let go is read back whole from the store."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from pathlib import Path

from flows.engine.records import Conversation, Unit
from state import open_store
from state.cache import ENTRY_OVERHEAD, CachedConversation, ConversationCache
from tests.state.conftest import Backend
from tests.state.store_support import chat

ANA = ("telegram", "ana")


def saved(data: bytes = b'{"slots": {"jmbg": "0512981717776"}}') -> CachedConversation:
    return CachedConversation("registration", "jmbg", data, 7, 1)


def size_of(key: tuple[str, str], data: bytes) -> int:
    """What one copy counts for: its JSON, its key (channel, separator, user key), the rest."""
    return len(data) + len(key[0]) + 1 + len(key[1]) + ENTRY_OVERHEAD


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_copy_unused_for_longer_than_its_time_to_live_is_gone() -> None:
    clock = Clock()
    cache = ConversationCache(ttl_s=45, clock=clock)
    copy = saved()
    cache.put(ANA, copy)
    clock.now += 30
    assert cache.get(ANA) is copy
    clock.now += 16
    assert cache.get(ANA) is None and len(cache) == 0 and cache.bytes == 0


async def test_an_idle_process_forgets_by_itself() -> None:
    cache = ConversationCache(ttl_s=0.05)
    cache.put(ANA, saved())
    cache.put(("kiosk", "kg:token"), saved())
    await asyncio.sleep(0.2)  # nobody asks: the sweep the cache scheduled runs anyway
    assert len(cache) == 0 and cache.bytes == 0


def test_the_least_recently_saved_go_first_when_the_bytes_are_used_up() -> None:
    one_kb = b"x" * 1000
    room_for_two = 2 * size_of(("t", "1"), one_kb)
    cache = ConversationCache(max_bytes=room_for_two)
    cache.put(("t", "1"), saved(one_kb))
    cache.put(("t", "2"), saved(one_kb))
    assert cache.bytes == room_for_two
    cache.put(("t", "1"), saved(one_kb))  # saved again: now the most recent
    cache.put(("t", "3"), saved(one_kb))
    assert cache.get(("t", "2")) is None
    assert cache.get(("t", "1")) is not None and cache.get(("t", "3")) is not None
    assert cache.bytes == room_for_two


def test_one_big_conversation_takes_the_room_of_many_small_ones() -> None:
    small, big = b"x" * 100, b"y" * 2000
    cache = ConversationCache(max_bytes=size_of(("t", "big"), big))
    for user in "abcdef":
        cache.put(("t", user), saved(small))
    assert len(cache) > 1
    cache.put(("t", "big"), saved(big))
    assert len(cache) == 1 and cache.get(("t", "big")) is not None
    assert cache.bytes <= cache.max_bytes


def test_a_conversation_bigger_than_the_whole_cache_is_not_kept_and_evicts_nothing() -> None:
    cache = ConversationCache(max_bytes=4 * size_of(ANA, b"{}"))
    cache.put(ANA, saved(b"{}"))
    cache.put(("t", "huge"), saved(b"z" * 10_000))
    assert cache.get(("t", "huge")) is None and cache.get(ANA) is not None


def test_a_cache_of_no_bytes_keeps_nothing() -> None:
    cache = ConversationCache(max_bytes=0)
    cache.put(ANA, saved())
    assert cache.get(ANA) is None and cache.bytes == 0


def _conversation(user: str, **fields: object) -> Conversation:
    conv = Conversation(chat(user), flow="registration", state="jmbg", language="sr-Latn")
    conv.slots = {"first_name": "Ђорђе", "last_name": "Petrović", "visit": {"day": "2026-12-01"}}
    conv.history = ["intro", "consent", "first_name", "last_name"]
    for name, value in fields.items():
        setattr(conv, name, value)
    return conv


async def test_a_conversation_the_cache_let_go_comes_back_whole_from_the_store(
    backend: Backend,
) -> None:
    store = await open_store(backend.url, clock=backend.clock, cache_bytes=8 * 1024)
    backend.opened.append(store)
    first = _conversation("first", failures=2)
    await store.apply(Unit(conversation=first))
    # Others save after it, until their copies take all the room.
    for n in range(30):
        await store.apply(Unit(conversation=_conversation(f"other{n}")))
    assert store._conversations.get(("telegram", "first")) is None  # let go
    assert store._conversations.bytes <= 8 * 1024

    loaded = await store.load_conversation(chat("first"))
    assert loaded == first  # every slot, the history, the failures, the version
    loaded.state = "id_number"  # and it goes on from there
    await store.apply(Unit(conversation=loaded))
    again = await store.load_conversation(chat("first"))
    assert again is not None
    assert (again.state, again.version) == ("id_number", first.version + 1)


async def test_another_process_sees_what_was_saved_whatever_this_one_let_go(
    backend: Backend,
) -> None:
    small = await open_store(backend.url, clock=backend.clock, cache_bytes=0)
    backend.opened.append(small)
    other = await backend.open()
    conv = _conversation("ana")
    await small.apply(Unit(conversation=conv))
    there = await other.load_conversation(chat("ana"))
    assert there == conv
    there.state = "phone"
    await other.apply(Unit(conversation=there))
    here = await small.load_conversation(chat("ana"))  # nothing cached: the store's answer
    assert here is not None and (here.state, here.version) == ("phone", conv.version + 1)


async def test_what_the_cache_counts_is_the_memory_its_copies_really_take(tmp_path: Path) -> None:
    """The bound means something only if the count is right: a copy that held more than it
    counted (orjson's bytes keep a 4 KB buffer) would let the cache pass its bound tenfold."""
    store = await open_store(f"sqlite:///{tmp_path}/ecitizen.db")
    try:
        for n in range(50):  # the database's and the driver's own first allocations
            await store.apply(Unit(conversation=_conversation(f"warm{n}")))
        store._conversations.clear()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for n in range(400):
            await store.apply(Unit(conversation=_conversation(f"user{n}")))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        await store.close()
    counted = store._conversations.bytes
    assert len(store._conversations) == 400
    assert 0.7 * counted <= held <= 1.3 * counted, (held, counted)
