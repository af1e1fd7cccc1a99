"""A kiosk page as plain HTTP: the same requests kiosk.js makes, for tests and the bench."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

# One valid registration at the kiosk, as (kind, value) answers; see tests/flows too.
JMBG = "0512981717776"
REGISTRATION: tuple[tuple[str, str], ...] = (
    ("choice", "ok"),  # intro: continue
    ("choice", "yes"),  # consent
    ("text", "Петар"),
    ("text", "Петровић"),
    ("text", JMBG),
    ("text", "001234567"),
    ("text", "064 123 4567"),
    ("choice", "skip"),  # no e-mail
)


@dataclass
class KioskClient:
    session: aiohttp.ClientSession
    base: str  # e.g. http://127.0.0.1:8080/kiosk/kg
    seq: int = 0
    last: dict[str, Any] = field(default_factory=dict)

    @property
    def screen(self) -> dict[str, Any]:
        return dict(self.last["screen"])

    @property
    def text(self) -> str:
        return "\n".join(self.screen["paragraphs"])

    async def state(self) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/api/state") as r:
            assert r.status == 200, await r.text()
            self.last = await r.json()
        self.seq = int(self.last["seq"])
        return self.last

    async def post(self, body: Any, raw: bool = False) -> tuple[int, Any]:
        """Any body as JSON (or bytes as they are); returns (status, parsed JSON)."""
        if raw:
            kwargs: dict[str, Any] = {"data": body, "headers": {"Content-Type": "application/json"}}
        else:
            kwargs = {"json": body}
        async with self.session.post(f"{self.base}/api/message", **kwargs) as r:
            return r.status, await r.json(content_type=None)

    async def send(self, **answer: str) -> dict[str, Any]:
        status, body = await self.post({"seq": self.seq + 1, **answer})
        assert status == 200, body
        self.last = dict(body)
        self.seq = int(body["seq"])
        return self.last

    async def choose(self, choice_id: str) -> dict[str, Any]:
        ids = [c["id"] for c in self.screen["choices"]]
        assert choice_id in ids, (choice_id, ids, self.screen["name"])
        return await self.send(choice=choice_id)

    async def register(self, day: str | None = None, time: str | None = None) -> dict[str, Any]:
        """From the language screen to the submitted registration. The visit is the given
        day and time (choice ids, e.g. "2026-12-01" and "2026-12-01T08:20:00+01:00"), or
        the first offered: today's first free slot, so the citizen is checked in at once."""
        await self.send(command="language", payload="sr-Cyrl")
        await self.choose("menu.register")
        for kind, value in REGISTRATION:
            await self.send(**{kind: value})
        wanted = {"registration.visit_day": day, "registration.visit_time": time}
        while self.screen["name"] != "registration.summary":
            choices = [c["id"] for c in self.screen["choices"]]
            await self.choose(wanted.get(self.screen["name"]) or choices[0])
        return await self.choose("submit")
