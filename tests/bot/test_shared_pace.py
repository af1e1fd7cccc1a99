"""Processes sending for one bot share its pace through the store: Telegram allows a bot
about 30 messages per second however many processes send for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.pacing import SHARE_TTL_S, SendLimiter, SendLimits, SharedPace
from ecitizen.app import App
from tests.conftest import Clock

LIMITS = SendLimits(per_second=30, per_chat_per_second=1, per_chat_burst=3)


async def test_processes_sending_for_one_bot_each_take_their_share(
    make_app: Callable[..., Any], clock: Clock
) -> None:
    processes: list[App] = [await make_app() for _ in range(3)]  # one database
    limiters = [SendLimiter(LIMITS) for _ in processes]
    shares = [
        SharedPace(pace, p.store, "telegram") for pace, p in zip(limiters, processes, strict=True)
    ]
    for _ in range(2):  # each renews its own and counts the others every few seconds
        for share in shares:
            await share.sync()
    assert [pace.rate for pace in limiters] == [10.0, 10.0, 10.0]

    await shares[2].release()  # one stops
    for share in shares[:2]:
        await share.sync()
    assert [pace.rate for pace in limiters[:2]] == [15.0, 15.0]

    clock.advance(seconds=SHARE_TTL_S + 1)  # another dies without a word
    await shares[0].sync()
    assert limiters[0].rate == 30.0
    for process in processes:
        await process.close()


async def test_another_bot_has_a_pace_of_its_own(make_app: Callable[..., Any]) -> None:
    processes: list[App] = [await make_app() for _ in range(2)]
    telegram, viber = SendLimiter(LIMITS), SendLimiter(LIMITS)
    await SharedPace(telegram, processes[0].store, "telegram").sync()
    await SharedPace(viber, processes[1].store, "viber").sync()

    assert telegram.rate == viber.rate == 30.0
    for process in processes:
        await process.close()
