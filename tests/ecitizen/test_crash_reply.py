"""A reply survives a crash: `ecitizen serve` is killed with SIGKILL at random moments
while people register over Telegram, and started again each time.

The platform gives back what it did not see confirmed (a polled update whose offset was
not acknowledged, a webhook POST that got no 2xx), so after any kill every person must end
up with their next question on screen (the fake Bot API's view of the chat): never left
waiting, never with two different answers to one message. The same answer twice is
allowed (sent, then sent again from the record after a redelivery); a stale question
after a newer one, an apology, or a second different reply is not.

The kills are timed, not hooked into the product: with a dozen people typing at once,
some message is always between its unit's commit and its reply's send when the kill
comes. Polling runs on SQLite and webhook mode on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from flows.engine.ports import Store
from state import open_store
from tests.ecitizen.checks import Findings
from tests.ecitizen.cluster import Server, make_servers
from tests.ecitizen.crowd import register
from tests.ecitizen.people import LANGUAGE, Journal, PersonalData, Registrant, Screen, label
from tests.ecitizen.telegram_people import TelegramChat, asked_step
from tests.fakes.bot_api_server import BotMessage, FakeBotApi
from tests.postgres import database_url

PEOPLE = 12
MAX_KILLS = 20
KILL_AFTER_S = (0.2, 1.5)  # how long after it is ready the server lives, at random
DEADLINE_S = 240.0
REPLY_WAIT_S = 60.0  # a restart and a redelivery take seconds, not a minute
APOLOGIES = (label("engine.error"), label("telegram.error"))
WEBHOOK = "/telegram/webhook"
STUCK = ("telegram: no answer to a message", "registration not finished")


def config(tmp: Path, url: str, api: FakeBotApi, mode: str) -> dict[str, Any]:
    telegram: dict[str, Any] = {"token": api.token, "api_url": api.url, "mode": mode}
    if mode == "webhook":
        telegram |= {
            "webhook_url": "http://127.0.0.1:9/telegram/webhook",
            "webhook_secret": "kill-9",
        }
    return {"data": {"dir": str(tmp / "var"), "database": url}, "telegram": telegram}


@dataclass
class RecordedChat(TelegramChat):
    """A chat that remembers where in it each message of the person was sent."""

    sent_at: list[int] = field(default_factory=list)  # the chat's length at each send

    async def act(self, action: Any, screen: Screen) -> Screen | None:
        self.sent_at.append(len(self.user.inbox))
        return await super().act(action, screen)

    async def start(self) -> Screen | None:
        self.sent_at.append(len(self.user.inbox))
        return await super().start()


def answer_of(message: BotMessage) -> str:
    """What a message answers with: the step it asks for, "apology", or "" (a part of
    an answer that carries no question: the question follows)."""
    if any(a in message.text for a in APOLOGIES):
        return "apology"
    return asked_step(message.text)


def different_answers(chat: RecordedChat) -> list[str]:
    """Per message the person sent, the answers that came before the next one: any answer
    that is neither this message's nor an earlier one's (a repeat) is a different one."""
    found = []
    given: list[str] = []
    inbox = chat.user.inbox
    bounds = [*chat.sent_at[1:], len(inbox)]
    for k, (start, end) in enumerate(zip(chat.sent_at, bounds, strict=True)):
        answers = [a for a in (answer_of(m) for m in inbox[start:end]) if a]
        fresh = [a for a in answers if a not in given]
        if len(set(fresh)) > 1 or "apology" in fresh:
            found.append(f"{chat.who}, message {k + 1}: {answers}")
        given += fresh[:1]
    return found


def transcript(chat: RecordedChat) -> str:
    """The chat as the person saw it: each of their messages (>>) and what came after."""
    lines = []
    for k, m in enumerate(chat.user.inbox):
        lines += [">> (the person sends)"] * chat.sent_at.count(k)
        buttons = " ".join(f"[{label}]" for label, _ in m.inline_buttons)
        lines.append(f"   #{m.message_id} {answer_of(m) or '-'}: {m.text[:50]!r} {buttons[:80]}")
    return "\n".join(lines)


async def why_stuck(store: Store, chat: RecordedChat) -> tuple[str, str]:
    """Whether the message the person waits on was applied (the reply was lost) or not
    (the update itself was lost, acknowledged to the platform before it was handled)."""
    conv = await store.load_conversation(ConversationKey("telegram", str(chat.user.id)))
    now = f"{conv.flow}.{conv.state}" if conv is not None and conv.flow else "menu"
    shown = [m for m in chat.user.inbox if answer_of(m)]
    seen = answer_of(shown[-1]) if shown else ""
    if now == seen:
        return "its last message was lost before it was applied", f"at {seen}"
    return "its last message was applied, the reply never came", f"shown {seen}, stored {now}"


async def keep_killing(server: Server, rng: random.Random, everyone_done: asyncio.Event) -> None:
    while server.kills < MAX_KILLS and not everyone_done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone_done.wait(), rng.uniform(*KILL_AFTER_S))
        if everyone_done.is_set():
            return
        await server.kill()
        await server.start()
        await server.ready()


async def registers(api: FakeBotApi, i: int, journal: Journal) -> tuple[RecordedChat, str | None]:
    await asyncio.sleep(random.Random(i).uniform(0, 3))  # not all at the same moment
    data = PersonalData.of(i)
    user = api.user(data.first_name, language_code=LANGUAGE, phone=data.e164_digits)
    chat = RecordedChat(f"person#{i}", user, journal, REPLY_WAIT_S)
    registrant = Registrant(data, random.Random(i), walk_in=True, on_telegram=True)
    ref = await register(chat, await chat.start(), registrant, chat.who, journal)
    return chat, ref


# A message redelivered after a kill is answered with the reply recorded for it: the person
# sees the same question again (never a different answer) and may answer it once more,
# which costs a step. Seen once in a CI-like run (webhook, PostgreSQL); the person still
# registered once and ended with their next question, which is what this test asserts.
SAME_QUESTION_AGAIN = frozenset({"more steps than a registration takes"})


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("polling", "sqlite"), pytest.param("webhook", "postgres", marks=pytest.mark.postgres)],
)
async def test_after_any_kill_everyone_has_their_next_question_and_one_answer_per_message(
    tmp_path: Path, mode: str, kind: str
) -> None:
    rng = random.Random(9)
    journal, findings = Journal(), Findings()
    async with database_url(kind, tmp_path) as url, FakeBotApi() as api:
        (server,) = make_servers(tmp_path, ["solo"], config(tmp_path, url, api, mode))
        api.deliver_webhooks_to([server.url + WEBHOOK])
        await server.start()
        await server.ready()
        everyone_done = asyncio.Event()
        killer = asyncio.create_task(keep_killing(server, rng, everyone_done))
        started = time.monotonic()
        try:
            async with asyncio.timeout(DEADLINE_S):
                results = await asyncio.gather(*(registers(api, i, journal) for i in range(PEOPLE)))
        finally:
            everyone_done.set()
            await killer
            took = time.monotonic() - started
            await server.stop()
        store = await open_store(url)
        try:
            stored = await store.registrations_at("kg", list(RegistrationStatus))
            for chat, ref in results:
                if ref is None:
                    why, where = await why_stuck(store, chat)
                    print(f"{chat.who}, stuck:\n{transcript(chat)}")
                    findings.add(
                        f"everyone ends up with their next question: {why}", f"{chat.who} {where}"
                    )
                findings.many("one answer per message", different_answers(chat))
        finally:
            await store.close()
    by_person = [r.jmbg for r in stored]
    findings.many(
        "one registration per person",
        [j for j in set(by_person) if by_person.count(j) > 1],
    )
    for incident, examples in journal.incidents.items():
        if incident in SAME_QUESTION_AGAIN:
            print(f"{incident}: {examples}")  # reported, not a failure: see below
        elif incident not in STUCK:  # those are reported above, with the reason
            findings.many(f"what people met: {incident}", examples)
    registered = sum(1 for _, ref in results if ref)
    run = f"{mode}/{kind}: {server.kills} kills in {took:.0f} s, {registered}/{PEOPLE} registered"
    print(run)
    assert not findings, f"{run}\n{findings.report()}"
