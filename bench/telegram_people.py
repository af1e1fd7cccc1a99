"""The people of `make bench-telegram`'s burst who are in the middle of a dialogue.

Each one opened the bot and chose a language before the burst, then goes on with the
registration (bench/dialogue.py) while thousands of others write /start: reads each
reply, thinks a moment, answers. The time a step takes is from the person's message
reaching the Bot API server to the first message of the bot's answer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.dialogue import Say, User, script
from bench.viber_people import Inbox
from tests.fakes.bot_api_server import FakeBotApi
from tests.fakes.bot_api_users import BotMessage, FakeUser

BEFORE_BURST = 2  # steps played before the burst: /start and the language
WAIT_S = 300.0  # longer without an answer: the person is lost


def chat(
    api: FakeBotApi, name: str, language: str | None = "sr", inbox: Inbox | None = None
) -> FakeUser:
    person = api.user(name, language_code=language)
    person.inbox = inbox if inbox is not None else Inbox()
    return person


class Stuck(Exception):
    """The bot answered, but not with the button the person means to press next: the
    dialogue went another way (counted apart from lost replies)."""


@dataclass
class Step:
    written: float
    first: int  # index in the inbox of the reply's first message


@dataclass
class InDialogue:
    person: FakeUser
    user: User
    steps: list[Step] = field(default_factory=list)  # those played during the burst
    finished: bool = False
    stuck: bool = False

    @property
    def inbox(self) -> Inbox:
        assert isinstance(self.person.inbox, Inbox)
        return self.person.inbox

    async def begin(self) -> None:
        """The first steps, before the burst."""
        for say in script(self.user)[:BEFORE_BURST]:
            await self._say(say)

    async def go_on(self, resume_at: float, think_s: float) -> None:
        """The rest of the dialogue, from `resume_at`, a pause before each message."""
        await asyncio.sleep(max(0.0, resume_at - time.monotonic()))
        try:
            for say in script(self.user)[BEFORE_BURST:]:
                self.steps.append(await self._say(say))
                await asyncio.sleep(think_s)
            self.finished = True
        except Stuck:
            self.stuck = True
        except TimeoutError:
            self.finished = False

    def replies(self) -> list[tuple[Step, list[BotMessage]]]:
        """Each step of the burst with the messages it was answered with."""
        ends = [s.first for s in self.steps[1:]] + [len(self.inbox)]
        return [(s, self.inbox[s.first : end]) for s, end in zip(self.steps, ends, strict=True)]

    async def _say(self, say: Say) -> Step:
        inbox = self.inbox
        if say.kind == "choice":
            message = await self._with_button(say.value)
            step = Step(time.monotonic(), len(inbox))
            self.person.press_inline(message, say.value)
        else:
            step = Step(time.monotonic(), len(inbox))
            await self.person.send_text(say.value)
        async with asyncio.timeout(WAIT_S):
            while len(inbox) <= step.first:
                inbox.arrived.clear()
                await inbox.arrived.wait()
        return step

    async def _with_button(self, data: str) -> BotMessage:
        """The latest message with that button (the rest of a reply may be on its way)."""
        try:
            async with asyncio.timeout(WAIT_S):
                while True:
                    for message in reversed(self.inbox):
                        if any(d == data for _, d in message.inline_buttons):
                            return message
                    last = self.inbox[-1] if self.inbox else None
                    if last is not None and last.inline_buttons:
                        raise Stuck(data)  # the question on screen has other buttons
                    self.inbox.arrived.clear()
                    await self.inbox.arrived.wait()
        except TimeoutError:
            raise Stuck(data) from None
