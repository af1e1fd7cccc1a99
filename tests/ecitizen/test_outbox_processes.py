"""Several processes deliver the outbox: never one notice twice, and a notice claimed by a
process that dies is delivered by another within seconds. Each store is another process
on one database (SQLite and PostgreSQL); the clock is the real one."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ecitizen.outbox import OutboxWorker
from flows.engine.channel_ports import SendAttempt
from flows.engine.messages import ConversationKey, Msg, Outbound
from flows.engine.notify import InDoubt, hall_changed, notify
from flows.engine.records import Unit
from state import open_store
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL
CLAIM_S = 1.0  # short, so a takeover in these tests is quick


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Phones:
    """Everybody's phones: what each chat received. A send can hang (a network that
    never answers) on the notices named in `hang_on`, the first time only."""

    received: list[str] = field(default_factory=list)
    hang_on: set[str] = field(default_factory=set)
    hanging: asyncio.Event = field(default_factory=asyncio.Event)
    slow_s: float = 0.0  # each send takes up to this long (a network's ups and downs)

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        ref = str(outbound.text[0].as_dict()["ref"])
        if ref in self.hang_on:
            self.hang_on.discard(ref)
            self.hanging.set()
            await asyncio.Event().wait()  # forever
        if self.slow_s:
            await asyncio.sleep(random.uniform(0, self.slow_s))
        self.received.append(ref)


def notice(n: int, chats: int, channel: str = "terminal") -> Unit:
    to = ConversationKey(channel, f"u{n % chats}")
    text = Msg.of("status.view", ref=f"R{n}", status="s", hall="h", visit="v")
    return Unit(effects=[notify(to, "en", [text], f"m{n}", in_doubt=InDoubt.RESEND)])


@dataclass
class Process:
    worker: OutboxWorker
    task: asyncio.Task[None] | None = None

    def run(self) -> None:
        self.task = asyncio.create_task(self.worker.run())

    async def kill(self) -> None:
        """Gone without a word: its claims are left as they are."""
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def processes(
    backend: state_fixtures.Backend,
) -> AsyncIterator[Callable[..., Awaitable[Process]]]:
    started: list[Process] = []

    async def start(phones: Phones, channel: str = "terminal") -> Process:
        store = await open_store(backend.url, clock=utc_now)
        backend.opened.append(store)
        worker = OutboxWorker(
            store, {channel: phones}, {}, utc_now, poll_seconds=0.05, lease_seconds=CLAIM_S
        )
        process = Process(worker)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.task is not None and not process.task.done():
            process.worker.stop()
            await process.task


async def test_three_processes_deliver_every_notice_exactly_once(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    phones = Phones()
    workers = [await processes(phones) for _ in range(3)]
    for process in workers:
        process.run()
    for n in range(300):
        await workers[n % 3].worker.store.apply(notice(n, chats=300))

    async def all_received() -> bool:
        return len(set(phones.received)) == 300

    await eventually(all_received, "every notice delivered")
    await asyncio.sleep(CLAIM_S * 2)  # long enough for any claim to run out and be retaken
    assert Counter(phones.received).most_common(1)[0][1] == 1


async def test_two_processes_keep_each_chat_s_notices_in_order(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    """Notices keep coming while two processes deliver them, each send taking its own
    time: whichever process takes which, a chat gets its notices in the order written."""
    phones = Phones(slow_s=0.2)
    workers = [await processes(phones) for _ in range(2)]
    for process in workers:
        process.run()
    for n in range(90):  # R0, R6, R12, ... to u0; R1, R7, ... to u1; ...
        await workers[n % 2].worker.store.apply(notice(n, chats=6))
        workers[n % 2].worker.wake()
        await asyncio.sleep(0.005)

    async def all_received() -> bool:
        return len(set(phones.received)) == 90

    await eventually(all_received, "every notice delivered")
    for chat in range(6):
        got = [int(ref[1:]) for ref in phones.received if int(ref[1:]) % 6 == chat]
        assert got == list(range(chat, 90, 6)), f"u{chat} got {got}"


async def test_a_dead_process_s_notice_is_delivered_by_another_once(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    phones = Phones(hang_on={"R3"})
    serve = await processes(phones)
    for n in range(6):
        await serve.worker.store.apply(notice(n, chats=6))
    serve.run()
    await asyncio.wait_for(phones.hanging.wait(), timeout=30)

    other = await processes(phones)
    other.run()
    # serve is alive, stuck sending R3: it keeps renewing its claim, nobody else sends R3
    await asyncio.sleep(CLAIM_S * 3)
    assert "R3" not in phones.received

    await serve.kill()

    async def all_received() -> bool:
        return len(set(phones.received)) == 6

    await eventually(all_received, "R3 delivered by the other process")
    assert sorted(phones.received) == [f"R{n}" for n in range(6)]  # each once


async def test_a_process_leaves_to_others_what_it_cannot_deliver(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    """`ecitizen chat` (the terminal only, no hall display) beside `serve` (Telegram and
    the hall displays): chat takes neither serve's notices nor its display updates."""
    terminal, telegram = Phones(), Phones()
    chat = await processes(terminal, "terminal")
    await chat.worker.store.apply(notice(1, chats=1, channel="telegram"))
    await chat.worker.store.apply(Unit(effects=[hall_changed("kg")]))
    await chat.worker.store.apply(notice(2, chats=1, channel="terminal"))
    assert await chat.worker.run_once() == 1
    assert terminal.received == ["R2"]

    serve = await processes(telegram, "telegram")
    displays: list[str] = []

    async def display(hall: str) -> None:
        displays.append(hall)

    serve.worker.hall_listeners.append(display)
    assert await serve.worker.run_once() == 2
    assert (telegram.received, displays) == (["R1"], ["kg"])


async def test_a_notice_no_process_can_deliver_is_given_up_after_an_hour(
    backend: state_fixtures.Backend,
) -> None:
    store = await backend.open()
    phones = Phones()
    worker = OutboxWorker(store, {"terminal": phones}, {}, backend.clock)
    await store.apply(notice(1, chats=1, channel="viber"))  # no process has Viber
    assert await worker.run_once() == 0
    backend.clock.advance(timedelta(minutes=59))
    assert await worker.run_once() == 0
    backend.clock.advance(timedelta(minutes=2))
    assert await worker.run_once() == 1
    backend.clock.advance(timedelta(days=1))
    assert await worker.run_once() == 0 and phones.received == []
