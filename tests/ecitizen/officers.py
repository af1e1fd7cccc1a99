"""Simulated officers at their counters, in the web chat: call the next ticket, open its
registration, check the ID card and decide; when nobody is in the queue, take the next
registration of someone who has arrived (the ID card is checked in person); failing that,
the person who walks up to the counter with their reference code. Four of them at once
race for the same registrations, as real colleagues do; the loser of a race is told and
goes on with the next one.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.ecitizen.browsers import WebChatPage
from tests.ecitizen.people import Action, Journal, Pick, Screen, Type, label

IN_REVIEW = label("status.in_review")
ARRIVED = label("status.checked_in")


def rejects(ref: str) -> bool:
    """The officers' verdict, fixed per registration: about one in six is rejected."""
    return zlib.crc32(ref.encode()) % 6 == 0


@dataclass
class Officer:
    name: str
    counter: str
    page: WebChatPage
    journal: Journal
    rng: random.Random
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (ref, decision) told
    seen_taken: set[str] = field(default_factory=set)  # opened by code: decided, or in hand
    holding: str | None = None  # a registration claimed and not yet decided
    screen: Screen | None = None
    # Someone checked in and still waiting for a decision, at the counter with their code
    walk_up: Callable[[], str | None] = lambda: None

    async def act(self, action: Action) -> Screen | None:
        assert self.screen is not None
        self.screen = await self.page.act(action, self.screen)
        return self.screen

    async def enroll(self, code: str) -> None:
        """/officer <code>, English, the workspace, the counter."""
        self.screen = await self.page.send(text=f"/officer {code}")
        for _ in range(4):
            ids = self.screen.ids if self.screen else []
            if "counter" in ids:
                break
            await self.act(Pick("lang:en") if "lang:en" in ids else Pick("menu.officer"))
        await self.act(Pick("counter"))
        await self.act(Pick(self.counter))
        assert self.screen is not None and self.screen.step == "officer.home", self.screen

    async def home(self) -> bool:
        """Back to the workspace from wherever the screen is."""
        for _ in range(3):
            if self.screen is not None and self.screen.step == "officer.home":
                return True
            if self.screen is not None and "home" in self.screen.ids:
                await self.act(Pick("home"))
            elif self.screen is not None and "menu.officer" in self.screen.ids:
                await self.act(Pick("menu.officer"))
            else:
                self.screen = await self.page.send(command="start")
        self.journal.note("officer: lost the way home", self.name, str(self.screen))
        return False

    async def work(self, everyone_came: asyncio.Event, deadline: float) -> None:
        """Until every citizen came and nothing is left to decide (or the deadline)."""
        while time.monotonic() < deadline:
            if not await self.home():
                await asyncio.sleep(0.5)
                continue
            if self.holding is not None:
                await self.reopen(self.holding)
                continue
            called = await self.act(Pick("call_next"))
            if called is not None and called.step == "officer.ticket":
                await self.serve_ticket(called)
                continue
            if not await self.home() or await self.take_waiting() != "nothing":
                continue
            ref = self.walk_up()
            if ref is not None:
                await self.reopen(ref)
            elif everyone_came.is_set():
                return
        self.journal.note("officer: still working at the deadline", self.name)

    async def serve_ticket(self, ticket: Screen) -> None:
        if "open_ticket" not in ticket.ids:
            await self.act(Pick("served"))  # a plain ticket: helped at the counter
            return
        review = await self.act(Pick("open_ticket"))
        if review is not None and review.step == "officer.review":
            await self.decide(review)

    async def take_waiting(self) -> str:
        """Open the registration of someone who arrived, from the waiting list: "took",
        "raced" or "nothing" (nobody arrived is waiting, nor being decided)."""
        listing = await self.act(Pick("waiting"))
        if listing is None or listing.step != "officer.waiting":
            return "raced"
        free = [i for i, text in listing.choices if ARRIVED in text]
        if not free:
            waiting = any(IN_REVIEW in text for _, text in listing.choices)
            await self.act(Pick("home"))
            await asyncio.sleep(0.3)
            return "raced" if waiting else "nothing"
        review = await self.act(Pick(self.rng.choice(free[:4])))
        if review is not None and review.step == "officer.review":
            await self.decide(review)
            return "took"
        return "raced"

    async def reopen(self, ref: str) -> None:
        """Open a registration by its code: one whose decision's answer never came, or
        the one of the person at the counter."""
        await self.act(Pick("open"))
        review = await self.act(Type(ref))
        if review is not None and review.step == "officer.review":
            await self.decide(review)
        else:
            self.holding = None  # decided after all, or someone else has it now
            self.seen_taken.add(ref)

    async def decide(self, review: Screen) -> None:
        ref = review.reference or ""
        self.holding = ref
        if rejects(ref):
            await self.act(Pick("reject"))
            done = await self.act(Pick("data_wrong"))
            verdict = "rejected"
        else:
            await self.act(Pick("approve"))
            done = await self.act(Pick("yes"))
            verdict = "approved"
        if done is None:
            return  # the answer was lost on its way: reopen it next round
        self.holding = None
        if re.search(rf"Registration {re.escape(ref)} is {verdict}", done.text):
            self.decisions.append((ref, verdict))
        else:
            self.journal.note("officer: decision not confirmed", self.name, done.text[:200])
