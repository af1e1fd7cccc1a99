"""A day at a busy counter hall, served by several `ecitizen serve` processes at once.

Citizens arrive over the first `arrival_s` seconds: in Telegram (webhooks, delivered round
robin to the servers), in the web chat (each page's messages and its long poll go to
different servers) and at the hall's kiosk (each tap to whichever server the balancer
picks). Those who registered from home then walk in and check in at the kiosk (an officer
decides only with the person and the ID card at the counter).
Four officers work their counters from their browsers the whole time. Halfway through,
one server is killed with SIGKILL and not started again: the others must carry on with
everything it held (see test_multiprocess.py for why it stays dead).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.ecitizen.browsers import Balancer, KioskPage, WebChatPage
from tests.ecitizen.cluster import Server
from tests.ecitizen.crowd import (
    Outcome,
    kiosk_check_in,
    kiosk_register,
    kiosk_ticket,
    leave_kiosk,
    register,
)
from tests.ecitizen.officers import Officer
from tests.ecitizen.people import Journal, PersonalData, Registrant
from tests.ecitizen.telegram_people import TelegramChat
from tests.fakes.bot_api_server import FakeBotApi

# Telegram lets a bot send about 30 messages a second, and the fake Bot API holds the three
# servers to it (429 above). A webhook update is answered only once its reply is sent (a
# crash must not lose it), so with this day's crowd on one bot, updates and their replies
# queue behind each other for tens of seconds at the busiest times (issue 14's
# dialogue_p99 finding): a person here waits for an answer as long as that takes.
TELEGRAM_REPLY_WAIT_S = 120.0


@dataclass(frozen=True)
class Plan:
    telegram: int = 150
    web: int = 200
    kiosk: int = 150  # walk-ins registering at the kiosk
    tickets: int = 20  # walk-ins who only take a ticket (not among the registrants)
    abandon_share: float = 0.06  # walk away with JMBG typed
    walk_in_share: float = 0.5  # of those registered from home: no appointment booked
    arrival_s: float = 30.0
    kill_at_share: float = 0.5  # of the people done, or 10 s after the last arrived
    idle_s: float = 6.0  # when the kiosk page wipes itself: idle + warning

    @property
    def citizens(self) -> int:
        return self.telegram + self.web + self.kiosk


@dataclass
class HallDay:
    plan: Plan
    servers: list[Server]
    api: FakeBotApi
    balancer: Balancer
    officers: list[Officer]
    rng: random.Random
    journal: Journal = field(default_factory=Journal)
    outcomes: list[Outcome] = field(default_factory=list)
    pages: list[WebChatPage] = field(default_factory=list)  # every web chat page opened
    kiosk_pages: list[KioskPage] = field(default_factory=list)
    killed: Server | None = None
    last_kiosk_abandon: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds into the day
    _pollers: list[asyncio.Task[None]] = field(default_factory=list)
    _done: int = 0  # people who finished, whatever came of it
    _half_done: asyncio.Event = field(default_factory=asyncio.Event)

    # -- the people ----------------------------------------------------------------------

    def registrant(self, data: PersonalData, telegram: bool = False) -> Registrant:
        return Registrant(
            data,
            random.Random(data.index),
            walk_in=self.rng.random() < self.plan.walk_in_share,
            abandon_after_jmbg=self.rng.random() < self.plan.abandon_share,
            on_telegram=telegram,
        )

    def kiosk_page(self, who: str) -> KioskPage:
        page = KioskPage(who, self.balancer, self.journal)
        self.kiosk_pages.append(page)
        return page

    def web_page(self, who: str, poll_at: Server) -> WebChatPage:
        page = WebChatPage(who, self.balancer, self.journal, poll_at)
        self.pages.append(page)
        return page

    def walk_up(self) -> str | None:
        """Someone who checked in and whose registration no officer has seen decided or
        taken comes to a counter."""
        decided = {ref for o in self.officers for ref, _ in o.decisions}
        decided |= {ref for o in self.officers for ref in o.seen_taken}
        waiting = [o.ref for o in self.outcomes if o.ref and o.tickets and o.ref not in decided]
        return self.rng.choice(waiting) if waiting else None

    async def telegram_citizen(self, i: int) -> None:
        data = PersonalData.of(i)
        who = f"telegram#{i}"
        user = self.api.user(data.first_name, language_code="en", phone=data.e164_digits)
        outcome = Outcome(who, data, "telegram", chat=("telegram", str(user.id)))
        self.outcomes.append(outcome)
        chat = TelegramChat(who, user, self.journal, TELEGRAM_REPLY_WAIT_S)
        registrant = self.registrant(data, telegram=True)
        outcome.abandoned = registrant.abandon_after_jmbg
        outcome.ref = await register(chat, await chat.start(), registrant, who, self.journal)
        await self.after_registering_at_home(outcome)

    async def web_citizen(self, i: int) -> None:
        data = PersonalData.of(i)
        who = f"web#{i}"
        page = self.web_page(who, self.servers[i % len(self.servers)])
        outcome = Outcome(who, data, "web")
        self.outcomes.append(outcome)
        registrant = self.registrant(data)
        outcome.abandoned = registrant.abandon_after_jmbg
        first = await page.send(command="start")
        if page.token:
            outcome.chat = ("web", page.token)
            self.follow(page)
        outcome.ref = await register(page, first, registrant, who, self.journal)
        await self.after_registering_at_home(outcome)

    async def after_registering_at_home(self, outcome: Outcome) -> None:
        if outcome.ref is None:
            return
        await asyncio.sleep(self.rng.uniform(0.0, 5.0))  # on the way to the hall
        page = self.kiosk_page(outcome.who + "@kiosk")
        await kiosk_check_in(page, outcome.ref, outcome, self.journal)
        await leave_kiosk(page, self.rng, self.plan.idle_s)

    async def kiosk_citizen(self, i: int) -> None:
        data = PersonalData.of(i)
        who = f"kiosk#{i}"
        outcome = Outcome(who, data, "kiosk")
        self.outcomes.append(outcome)
        page = self.kiosk_page(who)
        registrant = self.registrant(data)
        registrant.walk_in = True
        outcome.abandoned = registrant.abandon_after_jmbg
        await kiosk_register(page, registrant, outcome, self.journal)
        if outcome.abandoned:
            self.last_kiosk_abandon = time.monotonic()  # the page died: nobody wipes it
            return
        await leave_kiosk(page, self.rng, self.plan.idle_s)

    async def ticket_taker(self, i: int) -> None:
        who = f"ticket#{i}"
        outcome = Outcome(who, PersonalData.of(i), "kiosk")
        self.outcomes.append(outcome)
        page = self.kiosk_page(who)
        await kiosk_ticket(page, outcome, self.journal)
        await leave_kiosk(page, self.rng, self.plan.idle_s)

    # -- the day -------------------------------------------------------------------------

    def follow(self, page: WebChatPage) -> None:
        """The page's long poll runs until the day is closed."""
        self._pollers.append(asyncio.create_task(page.poll()))

    def arrivals(self) -> list[tuple[float, Callable[[int], Awaitable[None]]]]:
        p = self.plan
        kinds = (
            [self.telegram_citizen] * p.telegram
            + [self.web_citizen] * p.web
            + [self.kiosk_citizen] * p.kiosk
            + [self.ticket_taker] * p.tickets
        )
        self.rng.shuffle(kinds)
        return [(self.rng.uniform(0, p.arrival_s), kind) for kind in kinds]

    async def arrive(
        self, delay: float, index: int, person: Callable[[int], Awaitable[None]]
    ) -> None:
        await asyncio.sleep(delay)
        try:
            await person(index)
        except Exception as exc:  # a harness fault must not hide what the others saw
            self.journal.note("harness: a person failed", f"#{index}", repr(exc))
        self._done += 1
        if self._done >= self.plan.kill_at_share * (self.plan.citizens + self.plan.tickets):
            self._half_done.set()

    async def kill_in_the_middle(self, start: float) -> None:
        """When half the people are done, or 10 s after the last one arrived."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._half_done.wait(), self.plan.arrival_s + 10.0)
        self.killed = self.servers[-1]
        await self.killed.kill()
        self.timings["killed"] = time.monotonic() - start

    async def run(self, deadline_s: float) -> None:
        """Everyone comes and is served; returns when the officers are done."""
        start = time.monotonic()
        everyone_came = asyncio.Event()
        killer = asyncio.create_task(self.kill_in_the_middle(start))
        for officer in self.officers:
            officer.walk_up = self.walk_up
        work = [
            asyncio.create_task(o.work(everyone_came, start + deadline_s)) for o in self.officers
        ]
        people = [
            self.arrive(delay, k, person) for k, (delay, person) in enumerate(self.arrivals())
        ]
        try:
            async with asyncio.timeout(deadline_s):
                await asyncio.gather(*people)
        except TimeoutError:
            self.journal.note("harness: the day's deadline passed", "everyone", f"{deadline_s} s")
        self.timings["everyone came"] = time.monotonic() - start
        everyone_came.set()
        await killer
        await asyncio.gather(*work)
        self.timings["officers done"] = time.monotonic() - start

    async def close(self) -> None:
        for task in self._pollers:
            task.cancel()
        await asyncio.gather(*self._pollers, return_exceptions=True)

    def officer_pages(self) -> list[WebChatPage]:
        return [o.page for o in self.officers]
