"""The simulated people of `make bench-viber`: the registration dialogue, message by
message, through Viber (signed callbacks to the local Viber API) or Telegram (the local
Bot API server), each waiting for the bot's answer before the next message."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from itertools import pairwise

from bench.dialogue import User, script
from tests.fakes.bot_api_users import BotMessage, FakeUser
from tests.fakes.viber_api import ViberUser

Player = Callable[[list[float]], Awaitable[bool]]


class Done(Exception):
    """A user who could not go on (no such button on screen): lost."""


async def play_viber(person: ViberUser, user: User, timed: list[float]) -> bool:
    for say in script(user):
        start = time.monotonic()
        if say.kind == "start":
            status = await person.open_chat()
        elif say.kind == "choice":
            status = await person.send_text(viber_label(person, say.value))
        else:
            status = await person.send_text(say.value)
        if status != 200:
            return False
        timed.append(time.monotonic() - start)
    last = person.last()
    return last is not None and registered(last.text)


def registered(text: str) -> bool:
    return any(word in text for word in ("Пријава је примљена", "Prijava je primljena", "received"))


def viber_label(person: ViberUser, choice: str) -> str:
    """What the button of that choice sends: its tracking data says (label -> choice)."""
    last = person.last()
    keys = json.loads(last.tracking) if last is not None and last.tracking else {}
    for label, chosen in dict(keys.get("c", {})).items():
        if chosen == choice:
            return str(label)
    raise Done(f"no button for {choice!r}")


class Inbox(list[BotMessage]):
    """A Telegram user's chat that says when a message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def append(self, message: BotMessage) -> None:
        super().append(message)
        self.arrived.set()


async def _arrival(inbox: Inbox, after: int, wait_s: float = 120.0) -> None:
    async with asyncio.timeout(wait_s):
        while len(inbox) <= after:
            inbox.arrived.clear()
            await inbox.arrived.wait()


async def play_telegram(person: FakeUser, user: User, timed: list[float]) -> bool:
    inbox = person.inbox
    assert isinstance(inbox, Inbox)
    for say in script(user):
        if say.kind == "choice":
            message = await _with_button(inbox, say.value)  # the reply's last part came
            before, start = len(inbox), time.monotonic()
            person.press_inline(message, say.value)
        else:
            before, start = len(inbox), time.monotonic()
            await person.send_text(say.value)
        await _arrival(inbox, before)
        timed.append(time.monotonic() - start)
    return any(registered(m.text) for m in inbox[before:])


async def _with_button(inbox: Inbox, data: str) -> BotMessage:
    """The latest message with that button (the reply may still be on its way)."""
    async with asyncio.timeout(120):
        while True:
            for message in reversed(inbox):
                if any(d == data for _, d in message.inline_buttons):
                    return message
            inbox.arrived.clear()
            await inbox.arrived.wait()


def repeats(texts: list[tuple[str, str]]) -> int:
    """Replies received twice in a row (a replayed reply looks exactly like this)."""
    return sum(1 for a, b in pairwise(texts) if a == b)


async def everyone(players: list[Player]) -> tuple[int, list[float]]:
    """Play them all at once: how many finished, and the time of every reply."""
    timed: list[float] = []

    async def one(play: Player) -> bool:
        try:
            return await play(timed)
        except (Done, TimeoutError, AssertionError):
            return False

    done = await asyncio.gather(*(one(p) for p in players))
    return sum(done), timed


def telegram_player(person: FakeUser, user: User) -> Player:
    return lambda timed: play_telegram(person, user, timed)


def viber_player(person: ViberUser, user: User) -> Player:
    return lambda timed: play_viber(person, user, timed)
