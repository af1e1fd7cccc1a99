"""Enrollment codes cannot be guessed: after 5 wrong codes a chat waits, longer after each
further one, and so does everyone after many wrong codes from many chats; every failed
attempt is audited, never with the code typed (issue 10)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pytest

from ecitizen.app import App
from flows.conversations.enrollment import FAILED
from flows.conversations.officer import new_invite_code
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import invite
from tests.postgres import postgres_url

WRONG = "није исправан"
WAIT = "Превише погрешних кодова"
WELCOME = "Добро дошли, Мира"


async def guesser(chat: Callable[..., Chat], name: str) -> Chat:
    who = chat(name)
    await who.says("/start")
    await who.picks("ћирилица")
    return who


async def test_after_five_wrong_codes_even_the_right_one_waits_longer_each_time(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    eve = await guesser(chat, "eve")
    typed = [new_invite_code() for _ in range(6)]
    for code in typed[:5]:
        assert WRONG in await eve.says(f"/officer {code}")
    right = await invite(app, "Мира")

    waiting = await eve.says(f"/officer {right}")
    assert WAIT in waiting and "1 мин" in waiting and WELCOME not in waiting
    assert await app.store.officer_for(eve.key) is None
    clock.advance(minutes=1)
    assert WRONG in await eve.says(f"/officer {typed[5]}")  # the 6th: now 2 minutes
    clock.advance(minutes=1, seconds=30)
    assert "1 мин" in await eve.says(f"/officer {right}")
    clock.advance(seconds=31)
    assert WELCOME in await eve.says(f"/officer {right}")

    failed = [e for e in await app.store.audit_log() if e.action == "enroll_failed"]
    assert [e.detail for e in reversed(failed)] == [
        *(f"wrong code, {n} in a row" for n in range(1, 6)),
        "waiting",
        "wrong code, 6 in a row",
        "waiting",
    ]
    assert {e.actor for e in failed} == {"chat:terminal"}
    audited = repr(failed)
    for code in [*typed, right]:
        assert code not in audited and code.replace("-", "") not in audited


async def test_the_throttle_holds_across_processes(
    make_app: Callable[..., Any], clock: Clock
) -> None:
    first: App = await make_app()
    second: App = await make_app()  # another server process on the same database
    try:
        one = await guesser(lambda user: Chat(first, user), "eve")
        other = Chat(second, "eve")
        for n in range(5):
            server = one if n % 2 else other
            assert WRONG in await server.says(f"/officer {new_invite_code()}")
        right = await invite(first, "Мира")
        assert WAIT in await other.says(f"/officer {right}")
        assert WAIT in await one.says(f"/officer {right}")
    finally:
        await first.close()
        await second.close()


async def test_many_wrong_codes_from_many_chats_make_everyone_wait(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    for n in range(4):
        crowd = await guesser(chat, f"guess{n}")
        for _ in range(5):
            assert WRONG in await crowd.says(f"/officer {new_invite_code()}")
    mira = await guesser(chat, "mira")
    right = await invite(app, "Мира")
    assert WAIT in await mira.says(f"/officer {right}")
    clock.advance(minutes=1)
    assert WELCOME in await mira.says(f"/officer {right}")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_flood_of_guesses_at_once_gets_twenty_tries_in_all(
    make_app: Callable[..., Any], kind: str
) -> None:
    """100 chats guessing at the same moment: the count is written on the count read, so
    no guess slips past the throttle while another is being counted."""
    async with postgres_url() if kind == "postgres" else nullcontext("") as url:
        app: App = await make_app(**({"data": {"database": url}} if url else {}))
        try:
            crowd = [Chat(app, f"flood{n}") for n in range(100)]
            guesses = (c.says(f"/officer {new_invite_code()}") for c in crowd)
            replies = await asyncio.gather(*guesses)
            failed = [e for e in await app.store.audit_log(limit=1000) if e.action == FAILED]
        finally:
            await app.close()
    assert sum(WRONG in r for r in replies) == 20
    assert sum(WAIT in r for r in replies) == 80
    assert len(failed) == 100
