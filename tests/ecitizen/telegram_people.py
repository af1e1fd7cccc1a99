"""People in Telegram (the fake Bot API server's simulated users), for the load tests.

Telegram shows text and buttons, not the name of a step, so the step is read from the
text: the question a step asks is the last thing in its message (the English prompts of
the flows, from the catalogs). Notices (approved, called...) are told apart by their text.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from flows.conversations.assembly import FLOWS
from flows.engine.i18n import render
from flows.engine.messages import Msg
from tests.ecitizen.people import (
    LABELS,
    LANGUAGE,
    Action,
    Journal,
    Pick,
    Say,
    Screen,
    ShareContact,
    Type,
    find_ref,
    notice_of,
)
from tests.fakes.bot_api_server import BotMessage, FakeUser

CONTACT_BUTTON = "📱"
ANSWER_REST_S = 20.0  # the rest of an answer sent in several messages (paced per chat)


def _prefix(key: str) -> str:
    """The text of a message key up to its first placeholder."""
    return render(Msg(key), LANGUAGE).split("{", 1)[0].strip()


def _prompts() -> list[tuple[str, str]]:
    found = [(_prefix("menu.prompt"), "menu")]
    for flow in FLOWS:
        if flow.name != "registration":
            continue
        for step in flow.steps:
            if step.prompt:
                found.append((_prefix(step.prompt), f"{flow.name}.{step.name}"))
    return [(text, step) for text, step in found if text]


PROMPTS = _prompts()
DONE = _prefix("reg.done")
CHOSEN = _prefix("telegram.chosen")  # the line the bot adds under a pressed message


def telegram_screen(message: BotMessage, before: str = "") -> Screen:
    """The step a message asks for: the prompt found last in its text (and in the
    messages of the same answer `before` it)."""
    text = f"{before}\n\n{message.text}" if before else message.text
    choices = [(label, label) for label, _ in message.inline_buttons]
    choices += [(b["text"], b["text"]) for b in message.reply_buttons]
    if DONE in text:
        return Screen("menu.after", text, choices, reference=find_ref(text))
    return Screen(asked_step(text), text, choices)


def asked_step(text: str) -> str:
    """The step whose question comes last in the text ("" for none)."""
    best, at = "", -1
    for prompt, step in PROMPTS:
        where = text.rfind(prompt)
        if where > at:
            best, at = step, where
    return best


def is_notice(message: BotMessage) -> bool:
    return notice_of(message.text) is not None


@dataclass
class TelegramChat:
    """One person's chat with the bot; `replies_after` waits for the bot's answer."""

    who: str
    user: FakeUser
    journal: Journal
    reply_wait_s: float = 30.0

    async def act(self, action: Action, screen: Screen) -> Screen | None:
        seen = len(self.user.inbox)
        try:
            if isinstance(action, Pick):
                text = LABELS.get(str(action.id), str(action.id))
                if action.index is not None:
                    text = screen.choices[action.index][1]
                await self.user.press(text)
            elif isinstance(action, Type):
                await self.user.send_text(action.text)
            elif isinstance(action, ShareContact):
                await self.user.press(CONTACT_BUTTON)
            elif isinstance(action, Say):
                await self.user.send_text(f"/{action.command}")
        except LookupError as exc:
            self.journal.note("telegram: the button is not on screen", self.who, str(exc))
            return None
        return await self.reply_after(seen)

    async def start(self) -> Screen | None:
        seen = len(self.user.inbox)
        await self.user.start()
        return await self.reply_after(seen)

    async def reply_after(self, seen: int) -> Screen | None:
        """The bot's answer to what was sent when the chat held `seen` messages: its last
        message (an answer may come in several, the question with its buttons last)."""

        def answer() -> list[BotMessage]:
            return [m for m in self.user.inbox[seen:] if not is_notice(m) and not repeated(m)]

        def repeated(message: BotMessage) -> bool:
            # A reply sent again after a crash (the platform redelivered the message it
            # answers) is the very message just above it: a person reads it once.
            earlier = [m for m in self.user.inbox if not is_notice(m)]
            at = next(k for k, m in enumerate(earlier) if m is message)
            return at > 0 and same_message(earlier[at - 1], message)

        def complete() -> bool:
            found = answer()
            return bool(found) and asks(found[-1])

        started = time.monotonic()
        try:
            await self.user.api.wait_until(lambda: bool(answer()), self.reply_wait_s)
        except TimeoutError:
            self.journal.note(
                "telegram: no answer to a message",
                self.who,
                f"waited {time.monotonic() - started:.0f} s; on screen: {self.user.last()}",
            )
            return None
        with contextlib.suppress(TimeoutError):  # the rest of a split answer
            await self.user.api.wait_until(complete, ANSWER_REST_S)
        *head, last = answer()
        return telegram_screen(last, "\n\n".join(m.text for m in head))


def same_message(a: BotMessage, b: BotMessage) -> bool:
    """The same words as sent: a pressed message's buttons were cleared and a line saying
    what was chosen was put under it, so its copy sent again may differ in those."""
    return (as_sent(a), a.photo) == (as_sent(b), b.photo)


def as_sent(message: BotMessage) -> str:
    """The message's text without the line the bot put under it when it was pressed."""
    words, gap, last = message.text.rpartition("\n\n")
    return words if gap and last.startswith(CHOSEN) else message.text


def asks(message: BotMessage) -> bool:
    """The message asks something: it has buttons, or a step's question."""
    return bool(message.buttons) or telegram_screen(message).step != ""
