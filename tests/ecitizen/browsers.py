"""Web chat pages and kiosk screens over HTTP, behind a load balancer of several servers.

The Balancer is what nginx in front of the servers does: each request goes to the next
server, round robin; a server that refuses the connection is skipped for a moment and the
request goes to another (it never reached the dead one). A request cut off halfway (the
server died while answering) is an error for the page, as nginx would answer 502.

WebChatPage does what bot/web/chat.js does: a message keeps its id over up to three
tries; items are shown once each by their id; a long poll asks for the items after the
last id seen. KioskPage does what kiosk/static/kiosk.js does: numbered messages (seq), the
same message again after a network error, the wipe. Cookies are sent by hand: one page
talks to every server (aiohttp's own jar keeps no cookies for IP addresses).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.ecitizen.cluster import Server
from tests.ecitizen.people import Action, Journal, Pick, Say, Screen, Type

WEBCHAT_COOKIE = "webchat_session"
KIOSK_COOKIE = "kiosk_session"
REFUSED_PAUSE_S = 2.0  # how long a server that refused a connection is left out
REQUEST_S = 30.0  # a page gives up on an answer after this long


class PageError(Exception):
    """The request failed on its way (the page shows its "network" message)."""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    cookies: dict[str, str]
    server: Server


@dataclass
class Balancer:
    servers: list[Server]
    http: aiohttp.ClientSession
    _turn: int = 0
    _left_out: dict[str, float] = field(default_factory=dict)

    def order(self, first: Server | None = None, avoid: Server | None = None) -> list[Server]:
        self._turn += 1
        n = len(self.servers)
        ring = [self.servers[(self._turn + i) % n] for i in range(n)]
        now = time.monotonic()
        ring.sort(key=lambda s: (self._left_out.get(s.name, 0.0) > now, s is avoid))
        if first is not None and self._left_out.get(first.name, 0.0) <= now:
            ring.remove(first)
            ring.insert(0, first)
        return ring

    async def call(
        self,
        method: str,
        path: str,
        *,
        cookie: tuple[str, str | None] | None = None,
        body: dict[str, Any] | None = None,
        first: Server | None = None,
        avoid: Server | None = None,
        timeout_s: float = REQUEST_S,
    ) -> Answer:
        headers = {}
        if cookie is not None and cookie[1]:
            headers["Cookie"] = f"{cookie[0]}={cookie[1]}"
        for server in self.order(first, avoid):
            try:
                async with self.http.request(
                    method,
                    server.url + path,
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout_s),
                ) as response:
                    data = await response.json(content_type=None)
                    cookies = {k: m.value for k, m in response.cookies.items()}
                    return Answer(response.status, data or {}, cookies, server)
            except aiohttp.ClientConnectorError:
                self._left_out[server.name] = time.monotonic() + REFUSED_PAUSE_S
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise PageError(f"{type(exc).__name__} from {server.name}") from None
        raise PageError("every server refused the connection")


def new_id() -> str:
    return secrets.token_hex(12)


def payload(say: Say) -> dict[str, str]:
    return {} if say.payload is None else {"payload": say.payload}


def web_screen(item: dict[str, Any]) -> Screen:
    return Screen(
        step=str(item.get("screen") or ""),
        text="\n".join(item.get("text") or []),
        choices=[(c["id"], c["label"]) for c in item.get("choices") or []],
        reference=item.get("reference"),
        ticket=item.get("ticket"),
    )


@dataclass
class WebChatPage:
    """One browser tab with the web chat open; `poll_at` is the server its long poll
    goes to (another one once that one is gone)."""

    who: str
    balancer: Balancer
    journal: Journal
    poll_at: Server
    token: str | None = None
    last: int = 0
    shown: set[int] = field(default_factory=set)
    items: list[dict[str, Any]] = field(default_factory=list)  # what the page shows

    def adopt(self, answer: Answer) -> None:
        self.token = answer.cookies.get(WEBCHAT_COOKIE, self.token)
        for item in answer.body.get("items") or []:
            if item["id"] in self.shown:
                continue  # chat.js: a reply may also come through the long poll
            self.shown.add(item["id"])
            self.items.append(item)
        self.last = max(self.last, int(answer.body.get("last") or 0))

    def notices(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i.get("screen") == "notification"]

    async def send(self, **message: str) -> Screen | None:
        """One message, tried up to three times with the same id (chat.js); the screen
        it brings, or None when it brought none (what went wrong is in the journal)."""
        payload = {"id": new_id(), **message}
        for attempt in range(3):
            try:
                answer = await self.balancer.call(
                    "POST",
                    "/chat/api/message",
                    cookie=(WEBCHAT_COOKIE, self.token),
                    body=payload,
                    avoid=self.poll_at,
                )
            except PageError as exc:
                self.journal.note("webchat: a message failed on its way", self.who, str(exc))
                await asyncio.sleep(0.8 * (attempt + 1))
                continue
            self.adopt(answer)
            if answer.status == 200:
                bot = [i for i in answer.body.get("items") or [] if i.get("from") == "bot"]
                if bot:
                    return web_screen(bot[-1])
                self.journal.note("webchat: a message was answered with nothing", self.who)
                return await self.reload()
            self.journal.note(f"webchat: HTTP {answer.status}", self.who, str(answer.body))
            if answer.status < 500:
                return None
            await asyncio.sleep(0.8 * (attempt + 1))
        self.journal.note("webchat: gave up on a message", self.who, str(message))
        return None

    async def act(self, action: Action, screen: Screen) -> Screen | None:
        if isinstance(action, Pick):
            choice = action.id if action.index is None else screen.ids[action.index]
            labels = dict(screen.choices)
            return await self.send(choice=str(choice), label=labels.get(str(choice), ""))
        if isinstance(action, Type):
            return await self.send(text=action.text)
        if isinstance(action, Say):
            return await self.send(command=action.command, **payload(action))
        raise AssertionError(f"the web chat cannot {action}")

    async def reload(self) -> Screen | None:
        """What a person does when nothing came: reload the page (its history)."""
        try:
            answer = await self.balancer.call(
                "GET", "/chat/api/history", cookie=(WEBCHAT_COOKIE, self.token)
            )
        except PageError:
            return None
        self.adopt(answer)
        bot = [
            i for i in self.items if i.get("from") == "bot" and i.get("screen") != "notification"
        ]
        return web_screen(bot[-1]) if bot else None

    async def poll(self) -> None:
        """The page's long poll, until cancelled."""
        server = self.poll_at
        while True:
            try:
                answer = await self.balancer.call(
                    "GET",
                    f"/chat/api/events?after={self.last}",
                    cookie=(WEBCHAT_COOKIE, self.token),
                    first=server,
                    timeout_s=40.0,
                )
            except PageError:
                await asyncio.sleep(1.0)  # chat.js waits 3 s; the test has no time to lose
                continue
            server = answer.server  # the balancer may have moved the page elsewhere
            if answer.status == 200:
                self.adopt(answer)
            else:
                await asyncio.sleep(1.0)


def kiosk_screen(body: dict[str, Any]) -> Screen:
    screen = body.get("screen") or {}
    return Screen(
        step=str(screen.get("name") or ""),
        text="\n".join(screen.get("paragraphs") or []),
        choices=[(c["id"], c["label"]) for c in screen.get("choices") or []],
        reference=screen.get("reference"),
        ticket=screen.get("ticket"),
    )


@dataclass
class KioskPage:
    """The kiosk's page at a hall, used by one person after another."""

    who: str
    balancer: Balancer
    journal: Journal
    hall: str = "kg"
    token: str | None = None
    tokens: list[str] = field(default_factory=list)  # every session this page had
    seq: int = 0
    screens: list[Screen] = field(default_factory=list)  # every screen shown, in order

    def adopt(self, answer: Answer) -> None:
        self.token = answer.cookies.get(KIOSK_COOKIE, self.token)
        if self.token and self.token not in self.tokens:
            self.tokens.append(self.token)
        self.seq = int(answer.body.get("seq") or 0)

    async def send(self, **answer: str) -> Screen | None:
        message: dict[str, Any] = {"seq": self.seq + 1, **answer}
        for _ in range(4):  # after a network error the person taps the same again
            try:
                got = await self.balancer.call(
                    "POST",
                    f"/kiosk/{self.hall}/api/message",
                    cookie=(KIOSK_COOKIE, self.token),
                    body=message,
                )
            except PageError as exc:
                self.journal.note("kiosk: a tap failed on its way", self.who, str(exc))
                await asyncio.sleep(0.5)
                continue
            if got.status == 503:
                self.journal.note("kiosk: HTTP 503", self.who)
                await asyncio.sleep(0.5)
                continue
            if got.status == 409:  # the page shows the screen the server has now
                step = (got.body.get("screen") or {}).get("name")
                self.journal.note("kiosk: session lost (409 stale)", self.who, f"now at {step}")
            elif got.status != 200:
                self.journal.note(f"kiosk: HTTP {got.status}", self.who, str(got.body))
                return None
            self.adopt(got)
            screen = kiosk_screen(got.body)
            self.screens.append(screen)
            return screen
        return None

    async def act(self, action: Action, screen: Screen) -> Screen | None:
        if isinstance(action, Pick):
            choice = action.id if action.index is None else screen.ids[action.index]
            return await self.send(choice=str(choice))
        if isinstance(action, Type):
            return await self.send(text=action.text)
        if isinstance(action, Say):
            return await self.send(command=action.command, **payload(action))
        raise AssertionError(f"the kiosk cannot {action}")

    async def wipe(self) -> None:
        """ "Finish", or the page's own idle timer: everything typed is forgotten."""
        with contextlib.suppress(PageError):
            got = await self.balancer.call(
                "POST",
                f"/kiosk/{self.hall}/api/message",
                cookie=(KIOSK_COOKIE, self.token),
                body={"seq": self.seq + 1, "command": "wipe"},
            )
            self.adopt(got)
