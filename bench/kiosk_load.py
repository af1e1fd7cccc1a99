"""The kiosks of `make bench-kiosk`, each a browser session doing what kiosk.js does.

A kiosk loads its page and state once, then serves one person after another: the
language, "Become an eCitizen", every answer of the registration (walk-in, so the slots'
capacity does not interfere), the summary's "Send", and the wipe for the next person. Each
request is a step. Steps are sent on a schedule (open loop): kiosk i of n sends at
start + (i/n + j) * interval. A kiosk waits for each answer before the next step (it needs
the answer's seq), so a step due while the previous one is still out is sent late, and its
latency is counted from when it was due: a slow server is not excused by sending less.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.dialogue import User


def messages(user: User) -> list[tuple[str, dict[str, str]]]:
    """(step, message) for one person, in the order the kiosk page sends them."""
    return [
        ("language", {"command": "language", "payload": user.language}),
        ("menu", {"choice": "menu.register"}),
        ("intro", {"choice": "ok"}),
        ("consent", {"choice": "yes"}),
        ("first_name", {"text": user.first_name}),
        ("last_name", {"text": user.last_name}),
        ("jmbg", {"text": user.jmbg}),
        # not bench.dialogue's "000000001": typed where options are offered, a number
        # that small picks option 1 (the passport) instead (flows.engine.present.match_choice)
        ("id_number", {"text": f"{100_000_000 + user.index}"}),
        ("phone", {"text": user.phone}),
        ("email", {"choice": "skip"}),
        ("visit", {"choice": "walk_in"}),
        ("submit", {"choice": "submit"}),
        ("wipe", {"command": "wipe"}),
    ]


_NOBODY = User(0, "en", "", "", "", "", "", "", False)
PER_PERSON = len(messages(_NOBODY))
STEPS = ("page", "state", *(step for step, _ in messages(_NOBODY)))


@dataclass(frozen=True, slots=True)
class Outcome:
    step: str
    due: float  # when the schedule wanted it sent (loop time)
    sent: float
    done: float
    ok: bool
    idle: bool  # the kiosk had its previous answer when this step was due

    @property
    def latency_ms(self) -> float:
        """From when it was due to its answer: what the person at the kiosk waited."""
        return 1000 * (self.done - self.due)


class Kiosk:
    def __init__(self, base: str, hall: str, users: Iterator[User]) -> None:
        self.api = f"{base}/kiosk/{hall}"
        self.users = users
        self.user = next(users)
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # 127.0.0.1 is an IP address
            connector=aiohttp.TCPConnector(limit=1),  # one page, one connection
        )
        self.position = -2  # -2: the page, -1: its state, then the person's messages
        self.seq = 0
        self.registered = 0
        self.last_done = 0.0
        self.failures: Counter[str] = Counter()  # "<step> <status or error>"

    @property
    def step(self) -> str:
        if self.position < 0:
            return "page" if self.position == -2 else "state"
        return messages(self.user)[self.position][0]

    async def send(self) -> bool:
        """The next step; False when it failed (then the kiosk wipes and starts over)."""
        if self.position == -2:
            ok = (await self._request("GET", "")) is not None
            self.position += ok
        elif self.position == -1:
            state = await self._request("GET", "/api/state")
            ok = state is not None
            self.seq = int(state["seq"]) if state else 0
            self.position += ok
        else:
            ok = await self._message()
        self.last_done = time.monotonic()
        return ok

    async def _message(self) -> bool:
        step, message = messages(self.user)[self.position]
        answer = await self._request("POST", "/api/message", {"seq": self.seq + 1, **message})
        ok = answer is not None
        if ok and step == "submit":
            ok = bool(answer and answer["screen"].get("reference"))
            self.registered += ok
            if not ok and answer is not None:
                said = " / ".join(answer["screen"].get("paragraphs", []))[:120]
                self.failures[f"submit without a reference: {said}"] += 1
        if answer is not None:
            self.seq = int(answer["seq"])
        if step == "wipe" and ok:
            self.user, self.position = next(self.users), 0
        elif ok:
            self.position += 1
        else:
            self.position = PER_PERSON - 1  # the wipe: the next person starts afresh
        return ok

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        try:
            async with self.http.request(method, self.api + path, json=body) as r:
                if r.status != 200:
                    self.failures[f"{self.step} {r.status} {(await r.read())[:80]!r}"] += 1
                    return None
                if "json" in r.content_type:
                    return await r.json()
                return await r.text()
        except (aiohttp.ClientError, OSError, ValueError) as e:
            self.failures[f"{self.step} {e.__class__.__name__}"] += 1
            return None

    async def close(self) -> None:
        await self.http.close()


async def spread(kiosks: Sequence[Kiosk], in_flight: int = 16) -> int:
    """Before the clock: kiosk i loads its page and goes i % 13 steps into a person's
    dialogue, so the paced run starts with the kiosks spread over the whole dialogue.
    Returns the requests that failed."""
    gate = asyncio.Semaphore(in_flight)
    failed = 0

    async def one(i: int, kiosk: Kiosk) -> None:
        nonlocal failed
        async with gate:
            for _ in range(2 + i % PER_PERSON):
                failed += not await kiosk.send()

    await asyncio.gather(*(one(i, k) for i, k in enumerate(kiosks)))
    return failed


@dataclass
class Paced:
    rate: float  # steps per second, all kiosks together
    start: float
    end: float
    outcomes: list[Outcome] = field(default_factory=list)


async def paced(kiosks: Sequence[Kiosk], rate: float, seconds: float) -> Paced:
    """Every kiosk sends its steps on the schedule for `seconds`; returns what happened
    to each step (the last ones may answer after the end)."""
    n = len(kiosks)
    interval = n / rate
    start = time.monotonic() + 0.2
    run = Paced(rate, start, start + seconds)

    async def one(i: int, kiosk: Kiosk) -> None:
        j = 0
        while (due := start + (i / n + j) * interval) < run.end:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            idle, step = kiosk.last_done <= due, kiosk.step
            sent = time.monotonic()
            ok = await kiosk.send()
            run.outcomes.append(Outcome(step, due, sent, kiosk.last_done, ok, idle))
            j += 1

    await asyncio.gather(*(one(i, k) for i, k in enumerate(kiosks)))
    return run


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
