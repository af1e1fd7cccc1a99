"""A person whose messages land on two processes in turn (Telegram behind a load balancer),
on SQLite and PostgreSQL: two apps on one database, each with its own conversation cache.

Each process keeps the copy of the conversation it saved last, so the one that did not
answer the last message holds an older copy. A turn read from that copy must never decide
what a button means: every unit is applied at the version its turn read, so an old copy
is refused, forgotten, and the message runs again on what the database holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ecitizen.app import App
from flows.engine.i18n import render
from flows.engine.messages import Inbound, Msg
from tests.dialogue import WORDS, Chat
from tests.state.conftest import Backend, backend  # noqa: F401 (the fixture)

ENGLISH = WORDS["en"]
STALE = render(Msg("invalid.stale_button"), "en")


@pytest.fixture
async def processes(backend: Backend, make_app: Callable[..., Any]) -> AsyncIterator[list[App]]:  # noqa: F811
    """Two apps on one database: two server processes, each with its own cache."""
    opened = [await make_app(data={"database": backend.url}) for _ in range(2)]
    yield opened
    for app in opened:
        await app.close()


class RoutedChat(Chat):
    """A Telegram chat whose messages the load balancer sends to the processes in the order
    `route` names ("AB": A, B, A, B...), or to the one `to(...)` picks for the next."""

    def __init__(self, processes: list[App], route: str = "AB") -> None:
        super().__init__(processes[0], "7001", "telegram")
        self.processes = dict(zip("AB", processes, strict=True))
        self.route = route
        self.sent = 0
        self.next: str | None = None

    def to(self, process: str) -> RoutedChat:
        self.next = process
        return self

    async def send(self, inbound: Inbound) -> str:
        process = self.next or self.route[self.sent % len(self.route)]
        self.next, self.sent = None, self.sent + 1
        self.app = self.processes[process]
        return await super().send(inbound)

    def told_stale(self) -> list[str]:
        """The screens on which the person was told a button was stale."""
        return [out.screen for out in self.replies if Msg("invalid.stale_button") in out.text]


@pytest.mark.parametrize("route", ["AB", "ABBB", "AAB"])
async def test_every_button_of_the_last_message_is_taken_whichever_process_gets_it(
    processes: list[App], route: str
) -> None:
    ana = RoutedChat(processes, route)

    summary = await ana.reaches_the_summary(ENGLISH)
    assert "Tuesday, 01.12.2026 at 09:00" in summary
    done = await ana.picks(ENGLISH["submit"])

    assert ENGLISH["done"] in done
    assert ana.told_stale() == []
    assert ana.last.reference is not None
    assert await processes[1].store.get_registration(ana.last.reference) is not None


async def test_a_button_of_an_earlier_question_is_stale_even_on_the_process_that_asked_it(
    processes: list[App],
) -> None:
    """Process A asked for the day and keeps that copy; B took the day and asked for the
    time. The day's button pressed again lands on A, whose copy still shows the day."""
    ana = RoutedChat(processes, route="A")
    await ana.begins_registration(ENGLISH)
    await ana.answers("Ana", "Petrovic", "0512981717776", "012345678", "064 123 4567")
    await ana.picks(ENGLISH["skip"])
    days_asked = ana.replies[-1] if "Which day" in await ana.picks(ENGLISH["hall"]) else None
    assert days_asked is not None
    assert "At what time?" in await ana.to("B").picks(ENGLISH["day"])

    again = await ana.to("A").presses_on(days_asked, "Wednesday")

    assert STALE in again
    assert "At what time?" in again and "Tuesday 01.12." in again  # still Tuesday's times
    assert "Tuesday, 01.12.2026 at 09:00" in await ana.picks("09:00")
    assert ana.told_stale() == ["registration.visit_time"]
