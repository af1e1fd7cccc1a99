"""Dialogue tests read like the conversation: what the person types, what the bot answers.

A Chat drives the engine through the terminal channel's own line parsing and rendering, so
no terminal I/O is needed and nothing of ours is imitated.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.terminal import parse_line, render_outbound
from ecitizen.app import App
from flows.engine.i18n import render
from flows.engine.messages import Command, ConversationKey, Inbound, Outbound

_ids = itertools.count(1)
# what the citizen presses and reads, per language
WORDS = {
    "sr-Cyrl": {
        "code": "sr-Cyrl",
        "language": "ћирилица",
        "register": "Постани еГрађанин",
        "continue": "Настави",
        "yes": "Да",
        "skip": "Прескочи",
        "hall": "Крагујевац",
        "day": "уторак",
        "submit": "Пошаљи пријаву",
        "consent": "пристајете",
        "first": "име",
        "done": "Пријава је примљена",
        "bring": "личну карту",
        "summary": "Ваша пријава",
    },
    "sr-Latn": {
        "code": "sr-Latn",
        "language": "latinica",
        "register": "Postani eGrađanin",
        "continue": "Nastavi",
        "yes": "Da",
        "skip": "Preskoči",
        "hall": "Kragujevac",
        "day": "utorak",
        "submit": "Pošalji prijavu",
        "consent": "pristajete",
        "first": "ime",
        "done": "Prijava je primljena",
        "bring": "ličnu kartu",
        "summary": "Vaša prijava",
    },
    "en": {
        "code": "en",
        "language": "English",
        "register": "Become an eCitizen",
        "continue": "Continue",
        "yes": "Yes",
        "skip": "Skip",
        "hall": "Kragujevac",
        "day": "Tuesday",
        "submit": "Submit",
        "consent": "agree",
        "first": "first name",
        "done": "registration is received",
        "bring": "ID card",
        "summary": "Your registration",
    },
}
CYRILLIC = WORDS["sr-Cyrl"]


@dataclass
class Chat:
    app: App
    user: str
    channel: str = "terminal"
    replies: list[Outbound] = field(default_factory=list)

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.channel, self.user)

    @property
    def last(self) -> Outbound:
        return self.replies[-1]

    @property
    def text(self) -> str:
        """The last reply as the person reads it (paragraphs and numbered choices)."""
        return render_outbound(self.last)

    @property
    def choices(self) -> list[str]:
        return [render(c.label, self.last.language) for c in self.last.choices]

    async def send(self, inbound: Inbound) -> str:
        outs = await self.app.handle(inbound)
        self.replies.extend(outs)
        return render_outbound(outs[-1]) if outs else ""

    async def says(self, line: str) -> str:
        """Types a line (a /command works too); returns what the bot answers."""
        return await self.send(parse_line(line, self.key, message_id=str(next(_ids))))

    async def picks(self, label: str) -> str:
        """Presses the offered choice whose label contains `label`."""
        return await self.presses_on(self.last, label)

    async def presses_on(self, earlier: Outbound, label: str) -> str:
        """Presses a button of a message further up the chat (Telegram and Viber keep them)."""
        matches = [
            c
            for c in earlier.choices
            if label.casefold() in render(c.label, earlier.language).casefold()
        ]
        assert matches, f"no choice {label!r} among {[c.label for c in earlier.choices]}"
        return await self.send(Inbound(self.key, choice=matches[0].id, message_id=str(next(_ids))))

    async def command(self, command: Command, payload: str | None = None) -> str:
        return await self.send(Inbound(self.key, command=command, payload=payload))

    async def shares_contact(self, phone: str) -> str:
        return await self.send(Inbound(self.key, contact=phone, message_id=str(next(_ids))))

    async def sends_sticker(self) -> str:
        return await self.send(Inbound(self.key, message_id=str(next(_ids))))

    async def command_language(self, language: str) -> str:
        """The kiosk's language buttons on the start screen."""
        return await self.send(Inbound(self.key, command=Command.LANGUAGE, payload=language))

    async def begins_registration(self, words: Mapping[str, str] = CYRILLIC) -> None:
        """Up to the first question of the registration, in the language of `words` (what
        the person presses: tests/flows/test_registration_dialogue.py WORDS)."""
        if self.channel == "kiosk":
            await self.command_language(words["code"])
        else:
            await self.says("/start")
            await self.picks(words["language"])
        await self.picks(words["register"])
        await self.picks(words["continue"])
        await self.picks(words["yes"])

    async def reaches_the_times(self, words: Mapping[str, str] = CYRILLIC) -> None:
        """Registers as Ана Петровић up to the times of a visit on Tuesday (a day with every
        time free)."""
        await self.begins_registration(words)
        await self.answers("Ана", "Петровић", "0512981717776", "012345678", "064 123 4567")
        await self.picks(words["skip"])
        if self.channel != "kiosk":  # the kiosk knows its hall
            await self.picks(words["hall"])
        await self.picks(words["day"])

    async def reaches_the_summary(self, words: Mapping[str, str] = CYRILLIC) -> str:
        """As far as the summary, the visit on Tuesday at 09:00; returns the summary."""
        await self.reaches_the_times(words)
        summary = await self.picks("09:00")
        assert words["summary"] in summary
        return summary

    async def answers(self, *lines: str) -> str:
        """Types several answers in a row; returns the last reply."""
        reply = ""
        for line in lines:
            reply = await self.says(line)
        return reply
