"""The web chat as plain HTTP (what chat.js does), and an officer enrolled through it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp

from bot.webchat import COOKIE, id_hash
from ecitizen.app import App
from flows.conversations.officer import invite_hash, new_invite_code
from flows.engine.messages import ConversationKey
from flows.engine.records import OfficerInvite
from tests.kiosk.kiosk_client import JMBG

_ids = itertools.count(1)


@dataclass
class ChatClient:
    session: aiohttp.ClientSession
    base: str  # the server, e.g. http://127.0.0.1:8080
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last(self) -> dict[str, Any]:
        return next(i for i in reversed(self.items) if i["from"] == "bot")

    @property
    def text(self) -> str:
        return "\n".join(self.last["text"])

    async def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.session.post(f"{self.base}/chat/api/message", json=body) as r:
            return r.status, await r.json()

    async def send(self, **message: str) -> dict[str, Any]:
        status, body = await self.post({"id": f"t{next(_ids)}", **message})
        assert status == 200, body
        self.items.extend(body["items"])
        return body

    async def says(self, text: str) -> dict[str, Any]:
        return await self.send(text=text)

    async def picks(self, choice_id: str) -> dict[str, Any]:
        ids = [c["id"] for c in self.last["choices"]]
        assert choice_id in ids, (choice_id, ids)
        return await self.send(choice=choice_id)

    async def events(self, after: int) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/chat/api/events", params={"after": after}) as r:
            assert r.status == 200
            body: dict[str, Any] = await r.json()
        return body


async def chat_key(app: App, http: aiohttp.ClientSession) -> ConversationKey:
    """The conversation a web chat page's session opens (the browser never sees it)."""
    [token] = [c.value for c in http.cookie_jar if c.key == COOKIE]
    session = await app.store.web_session(id_hash(token))
    assert session is not None and session.user_key is not None
    return ConversationKey("web", session.user_key)


async def enroll_officer(app: App, chat: ChatClient, counter: str = "2") -> None:
    """Invite an officer at hall kg, enroll them in this chat, sit them at a counter."""
    code = new_invite_code()
    expires = app.env.clock() + timedelta(hours=1)
    await app.store.add_invite(OfficerInvite(invite_hash(code), "Ана Анић", "kg", expires))
    await chat.says(f"/officer {code}")
    for _ in range(3):
        offered = [c["id"] for c in chat.last["choices"]]
        if "counter" in offered:
            break
        if "lang:sr-Cyrl" in offered:
            await chat.picks("lang:sr-Cyrl")  # the first time in this chat: which language
        else:
            await chat.picks("menu.officer")
    await chat.picks("counter")
    await chat.picks(counter)


async def call_next(chat: ChatClient) -> str:
    """The officer presses "call next"; returns what the chat answers."""
    if not any(c["id"] == "call_next" for c in chat.last["choices"]):
        await chat.picks("home")
    await chat.picks("call_next")
    return chat.text


async def register_in_chat(chat: ChatClient) -> str:
    """A citizen registers in the web chat, for a walk-in visit at kg; the reference."""
    await chat.send(command="start")
    await chat.picks("lang:en")
    await chat.picks("menu.register")
    await chat.picks("ok")
    await chat.picks("yes")
    for answer in ("Milica", "Milić", JMBG, "001234567", "0641234567", "milica@example.com"):
        await chat.says(answer)
    await chat.picks("kg")
    await chat.picks("walk_in")
    await chat.picks("submit")
    ref = chat.last["reference"]
    assert ref
    return str(ref)
