"""Dialogue tests read like the conversation: what the person types, what the bot answers.

A Chat drives the engine through the terminal channel's own line parsing and rendering, so
no terminal I/O is needed and nothing of ours is imitated.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.terminal import parse_line, render_outbound
from ecitizen.app import App
from flows.engine.i18n import render
from flows.engine.messages import Command, ConversationKey, Inbound, Outbound

_ids = itertools.count(1)


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

    async def begins_registration(self) -> None:
        """Up to the first question of the registration, in Serbian Cyrillic."""
        if self.channel == "kiosk":
            await self.command_language("sr-Cyrl")
        else:
            await self.says("/start")
            await self.picks("ћирилица")
        await self.picks("Постани еГрађанин")
        await self.picks("Настави")
        await self.picks("Да")

    async def answers(self, *lines: str) -> str:
        """Types several answers in a row; returns the last reply."""
        reply = ""
        for line in lines:
            reply = await self.says(line)
        return reply
