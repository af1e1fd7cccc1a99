"""What each kind of simulated citizen does, from the first tap to the reference code.

- registers in the web chat or in Telegram (a visit booked, or "without an appointment"),
  and later perhaps walks into the hall and checks in at a kiosk with the reference code;
- registers at the kiosk as a walk-in (checked in at once, with a queue ticket);
- takes a plain queue ticket at the kiosk;
- walks away halfway, with JMBG typed (from a kiosk whose page died, too).

Every outcome a person was told (reference codes, ticket numbers) is kept in an Outcome,
for the checks afterwards.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tests.ecitizen.browsers import KioskPage
from tests.ecitizen.people import Action, Journal, PersonalData, Pick, Registrant, Say, Screen, Type

MAX_STEPS = 40  # a registration takes 15; more means someone goes round in circles
MAX_START_OVERS = 3  # a kiosk that lost its session starts over this often, then gives up
CHOICE_STEPS = ("registration.visit_day", "registration.visit_time", "registration.hall")


class Channel(Protocol):
    async def act(self, action: Action, screen: Screen) -> Screen | None: ...


@dataclass
class Outcome:
    """What one person was told, and where."""

    who: str
    data: PersonalData
    channel: str  # "telegram", "web", "kiosk"
    chat: tuple[str, str] | None = None  # the conversation key notices go to
    ref: str | None = None
    tickets: list[str] = field(default_factory=list)
    abandoned: bool = False


async def converse(
    channel: Channel,
    screen: Screen | None,
    answer: Callable[[Screen], Action | None],
    who: str,
    journal: Journal,
) -> Screen | None:
    """Answer screen after screen until `answer` has nothing more to do; the last screen
    (None when the channel brought none: the journal says why)."""
    for _ in range(MAX_STEPS):
        if screen is None:
            return None
        if screen.step in CHOICE_STEPS and not screen.choices:
            journal.note("a screen offers an empty choice", who, screen.step)
            action: Action | None = Say("back")
        else:
            action = answer(screen)
        if action is None:
            return screen
        screen = await channel.act(action, screen)
    journal.note("more steps than a registration takes", who, screen.step if screen else "")
    return screen


async def register(
    channel: Channel,
    first: Screen | None,
    registrant: Registrant,
    who: str,
    journal: Journal,
    may_start_over: bool = False,
) -> str | None:
    """Through "Become an eCitizen"; the reference code the person was given, if any.
    `may_start_over`: the caller starts again when the kiosk showed its first screen."""

    def answer(screen: Screen) -> Action | None:
        return None if screen.reference else registrant.answer(screen)

    last = await converse(channel, first, answer, who, journal)
    if last is None or registrant.abandon_after_jmbg:
        return None
    if last.reference:
        return last.reference
    if not (may_start_over and last.step == "kiosk.language"):
        stopped = f"stopped at {last.step!r}: {last.text[:160]}"
        journal.note("registration not finished", who, stopped)
    return None


async def kiosk_register(
    page: KioskPage, registrant: Registrant, outcome: Outcome, journal: Journal
) -> None:
    """A walk-in registers at the kiosk: checked in at once, with a ticket. A kiosk that
    lost the session shows its first screen: the person starts over, a few times."""
    for attempt in range(1, MAX_START_OVERS + 1):
        first = await page.send(command="language", payload="en")
        again = attempt < MAX_START_OVERS
        ref = await register(page, first, registrant, outcome.who, journal, may_start_over=again)
        last = page.screens[-1] if page.screens else None
        if ref is not None:
            outcome.ref = ref
            if last is not None and last.ticket:
                outcome.tickets.append(last.ticket)
            else:
                journal.note("kiosk registration without a ticket", outcome.who, ref)
            return
        if registrant.abandon_after_jmbg or last is None or last.step != "kiosk.language":
            return  # walked away, or it failed in a way a person cannot undo


async def kiosk_check_in(page: KioskPage, ref: str, outcome: Outcome, journal: Journal) -> None:
    """Someone who registered from home arrives and checks in with the reference code."""

    def answer(screen: Screen) -> Action | None:
        if screen.ticket:
            return None
        steps: dict[str, Action] = {"menu": Pick("menu.checkin"), "checkin.checkin_code": Type(ref)}
        return steps.get(screen.step)

    for _ in range(MAX_START_OVERS):  # a kiosk that lost the session shows its first screen
        first = await page.send(command="language", payload="en")
        last = await converse(page, first, answer, outcome.who, journal)
        if last is not None and last.ticket:
            outcome.tickets.append(last.ticket)
            return
        if last is None or last.step != "kiosk.language":
            shown = f"{last.step}: {last.text[:160]}" if last else "no screen"
            journal.note("kiosk check-in without a ticket", outcome.who, shown)
            return
    journal.note("kiosk check-in gave up", outcome.who)


async def kiosk_ticket(page: KioskPage, outcome: Outcome, journal: Journal) -> None:
    """A plain queue ticket (the help desk, service B)."""

    def answer(screen: Screen) -> Action | None:
        if screen.ticket:
            return None
        return {"menu": Pick("menu.ticket"), "ticket.service": Pick("B")}.get(screen.step)

    first = await page.send(command="language", payload="en")
    last = await converse(page, first, answer, outcome.who, journal)
    if last is not None and last.ticket:
        outcome.tickets.append(last.ticket)
    else:
        journal.note("kiosk ticket not given", outcome.who, last.step if last else "")


async def leave_kiosk(page: KioskPage, rng: random.Random, idle_s: float) -> None:
    """Press "Finish", or walk away and let the page wipe itself when idle."""
    if rng.random() < 0.5:
        await page.wipe()
    else:
        await asyncio.sleep(idle_s)
        await page.wipe()
