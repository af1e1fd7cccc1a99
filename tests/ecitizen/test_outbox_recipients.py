"""A terminal's process delivers its own person's notices and leaves every other terminal
user's to the process of that terminal (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.ecitizen.test_outbox_processes import Phones, Process, backend, notice, processes

__all__ = ["backend", "processes"]  # the fixtures, on both databases


async def test_each_terminal_process_takes_only_its_own_person_s_notices(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    mira_screen, zoran_screen, telegram = Phones(), Phones(), Phones()
    mira = await processes(mira_screen)
    zoran = await processes(zoran_screen)
    serve = await processes(telegram, "telegram")
    mira.worker.add_delivery("terminal", mira_screen, users=["u0"])
    zoran.worker.add_delivery("terminal", zoran_screen, users=["u1"])
    for n in range(6):  # to u0, u1, u2, u0, u1, u2 on the terminal
        await mira.worker.store.apply(notice(n, chats=3))
    await mira.worker.store.apply(notice(6, chats=1, channel="telegram"))

    assert await mira.worker.run_once() == 2
    assert await serve.worker.run_once() == 1  # Telegram's; no terminal's
    assert await zoran.worker.run_once() == 2
    assert (mira_screen.received, zoran_screen.received) == (["R0", "R3"], ["R1", "R4"])
    assert telegram.received == ["R6"]
    # u2 has no terminal open: nobody takes theirs (until they open one within the hour)
    for process in (mira, zoran, serve):
        assert await process.worker.run_once() == 0
