"""Leases: what one process holds for a while. Each store opened here is another process."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta

from state import SqlStore
from tests.state.conftest import Backend
from tests.state.store_support import Clock

SECOND = timedelta(seconds=1)


async def test_a_held_lease_is_refused_to_others_until_it_expires(
    backend: Backend, clock: Clock
) -> None:
    serve, chat = await backend.open(), await backend.open()
    assert await serve.acquire_lease("printer:kiosk", serve.owner, 10)
    assert not await chat.acquire_lease("printer:kiosk", chat.owner, 10)
    assert await serve.lease_holder("printer:kiosk") == (serve.owner, 10.0)

    clock.advance(9 * SECOND)
    assert not await chat.acquire_lease("printer:kiosk", chat.owner, 10)
    clock.advance(SECOND)  # serve died: nobody renewed it
    assert await serve.lease_holder("printer:kiosk") is None
    assert await chat.acquire_lease("printer:kiosk", chat.owner, 10)
    assert not await serve.renew_lease("printer:kiosk", serve.owner, 10)  # too late
    assert not await serve.acquire_lease("printer:kiosk", serve.owner, 10)
    assert await chat.lease_holder("printer:kiosk") == (chat.owner, 10.0)


async def test_renewing_keeps_the_lease_past_its_first_term(backend: Backend, clock: Clock) -> None:
    serve, chat = await backend.open(), await backend.open()
    assert await serve.acquire_lease("purge", serve.owner, 10)
    for _ in range(5):
        clock.advance(5 * SECOND)
        assert await serve.renew_lease("purge", serve.owner, 10)
        assert not await chat.acquire_lease("purge", chat.owner, 10)
    assert not await chat.renew_lease("purge", chat.owner, 10)  # not its lease
    # taking a lease one already holds extends it, as a renewal does
    clock.advance(5 * SECOND)
    assert await serve.acquire_lease("purge", serve.owner, 10)
    clock.advance(9 * SECOND)
    assert not await chat.acquire_lease("purge", chat.owner, 10)


async def test_only_the_owner_releases_and_then_another_takes_it_at_once(
    backend: Backend,
) -> None:
    serve, chat = await backend.open(), await backend.open()
    assert await serve.acquire_lease("telegram-polling", serve.owner, 15)
    assert not await chat.release_lease("telegram-polling", chat.owner)
    assert not await chat.acquire_lease("telegram-polling", chat.owner, 15)
    assert await serve.release_lease("telegram-polling", serve.owner)
    assert await chat.acquire_lease("telegram-polling", chat.owner, 15)
    assert not await serve.release_lease("telegram-polling", serve.owner)  # gone already


async def test_leases_are_independent_of_each_other(backend: Backend) -> None:
    serve, chat = await backend.open(), await backend.open()
    assert await serve.acquire_lease("printer:kiosk", serve.owner, 10)
    assert await chat.acquire_lease("printer:counter-1", chat.owner, 10)
    assert not await serve.acquire_lease("printer:counter-1", serve.owner, 10)


async def test_many_processes_asking_at_once_give_the_lease_to_exactly_one(
    backend: Backend, clock: Clock
) -> None:
    stores: list[SqlStore] = [await backend.open() for _ in range(6)]
    for _ in range(5):  # each round: free, everybody asks at once
        won = await asyncio.gather(*(s.acquire_lease("purge", s.owner, 10) for s in stores))
        assert won.count(True) == 1
        clock.advance(11 * SECOND)


async def test_every_store_is_an_owner_of_its_own(backend: Backend) -> None:
    first, second = await backend.open(), await backend.open()
    assert first.owner != second.owner
    host, pid, _ = first.owner.split(":")
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))


async def test_each_hold_is_a_term_and_a_new_term_never_reuses_a_number(
    backend: Backend, clock: Clock
) -> None:
    serve, chat = await backend.open(), await backend.open()
    first = await serve.take_lease("printer:kiosk", serve.owner, 10)
    assert first is not None
    clock.advance(5 * SECOND)
    again = await serve.take_lease("printer:kiosk", serve.owner, 10)  # a renewal: same term
    assert again is not None and again.number == first.number
    assert again.expires_at == clock.now + 10 * SECOND
    assert await serve.renew_lease("printer:kiosk", serve.owner, 10, first.number)

    clock.advance(11 * SECOND)  # serve stalled: its term ran out, chat's begins
    second = await chat.take_lease("printer:kiosk", chat.owner, 10)
    assert second is not None and second.number > first.number
    assert not await serve.renew_lease("printer:kiosk", serve.owner, 10, first.number)
    clock.advance(11 * SECOND)  # and chat's too: serve takes it again, in a third term
    third = await serve.take_lease("printer:kiosk", serve.owner, 10)
    assert third is not None and third.number > second.number
    clock.advance(11 * SECOND)  # a holder whose own term ran out starts a new one at once
    fourth = await serve.take_lease("printer:kiosk", serve.owner, 10, guard_s=3)
    assert fourth is not None and fourth.number > third.number
    assert fourth.starts_at == clock.now
    assert not await serve.renew_lease("printer:kiosk", serve.owner, 10, third.number)


async def test_one_statement_renews_every_printer_the_owner_still_holds_and_no_other(
    backend: Backend, clock: Clock
) -> None:
    serve, chat = await backend.open(), await backend.open()
    kiosk = await serve.take_lease("printer:kiosk", serve.owner, 10)
    counter = await serve.take_lease("printer:counter-1", serve.owner, 10)
    assert kiosk is not None and counter is not None
    assert await serve.acquire_lease("purge", serve.owner, 10)  # not a printer's
    assert await chat.acquire_lease("printer:hall-2", chat.owner, 10)  # another owner's

    clock.advance(9 * SECOND)
    renewed = await serve.renew_leases("printer:", serve.owner, 10)
    assert renewed == {"printer:kiosk": kiosk.number, "printer:counter-1": counter.number}
    clock.advance(9 * SECOND)  # 18 s after the take: only the printers were renewed
    assert not await chat.acquire_lease("printer:kiosk", chat.owner, 10)
    assert await chat.acquire_lease("purge", chat.owner, 10)
    assert await serve.lease_holder("printer:hall-2") is None  # chat's ran out, untouched

    clock.advance(2 * SECOND)  # serve stalled past its leases: a late renewal holds nothing
    assert await serve.renew_leases("printer:", serve.owner, 10) == {}
    assert await chat.acquire_lease("printer:kiosk", chat.owner, 10)
