"""A process uses its copies of conversations only while they are right.

When webhooks spread one chat's messages over several processes, each process's copy is
stale by the time the chat's next message reaches it: a turn computed from it is refused
as a version conflict and computed again. A process that sees that happen reads the
conversation from the database instead, and goes back to its copies when it is again the
one that handles the chat.
"""

from __future__ import annotations

from flows.engine.ports import VersionConflict
from flows.engine.records import Conversation, Unit
from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import chat


async def message(process: SqlStore, state: str) -> bool:
    """The chat's next message handled by this process, as the engine does it: load,
    change, save, and once more from a fresh read when the save is refused as stale.
    True when the first turn was wasted on a stale copy."""
    for attempt in range(2):
        conv = await process.load_conversation(chat())
        assert conv is not None
        conv.state = state
        try:
            await process.apply(Unit(conversation=conv))
        except VersionConflict:
            assert attempt == 0, "a fresh read must not be stale"
            continue
        return attempt == 1
    raise AssertionError("unreachable")


async def started(backend: Backend) -> tuple[SqlStore, SqlStore]:
    first, second = await backend.open(), await backend.open()
    await first.apply(Unit(conversation=Conversation(chat(), flow="registration", state="s")))
    return first, second


async def test_a_chat_whose_messages_alternate_between_processes_stops_wasting_turns(
    backend: Backend,
) -> None:
    processes = await started(backend)

    wasted = [await message(processes[i % 2], f"step {i}") for i in range(60)]

    assert any(wasted[:20])  # at first each process trusts its copy, and is wrong
    assert not any(wasted[-20:])  # then it reads the chat from the database
    assert sum(wasted) < 30


async def test_a_process_that_handles_the_chat_alone_again_goes_back_to_its_copies(
    backend: Backend,
) -> None:
    first, second = await started(backend)
    for i in range(60):
        await message((first, second)[i % 2], f"step {i}")
    for i in range(40):
        await message(first, f"alone {i}")

    await message(second, "a last message elsewhere")

    # the first process uses its own copy again: now stale, its first turn is wasted
    assert await message(first, "back") is True


async def test_chats_of_another_channel_that_stay_with_one_process_keep_their_copies(
    backend: Backend,
) -> None:
    first, second = await started(backend)
    for i in range(60):
        await message((first, second)[i % 2], f"step {i}")
    kiosk = chat("k1", channel="kiosk")
    await first.apply(Unit(conversation=Conversation(kiosk, flow="registration", state="s")))
    changed = await second.load_conversation(kiosk)
    assert changed is not None
    await second.apply(Unit(conversation=changed))  # behind the first process's back

    stale = await first.load_conversation(kiosk)

    # its own copy, now stale: the kiosk's chats were never shown to move between processes
    assert stale is not None and stale.version == changed.version - 1
