"""The purge, as a property: whoever the person is, once every limit has passed nothing of
them is left in any column of any table, in any file of the data folder (the SQLite file,
its log and the printed slips included), on SQLite and on PostgreSQL (issue 10).

Each example is a person marked by a unique token (their name, e-mail and chat ids carry
it) with their own JMBG, ID card and phone numbers. They register in a chat (approved:
account, credentials slip, notifications), at the kiosk (rejected with a reason the
officer typed, quoting the numbers), leave a draft half-way, talk in the web chat, stand
at a kiosk, take a ticket with a chat to tell, guess an enrollment code, and have a
notification and a slip still waiting when everything stops. Then time passes every
limit, the officer keeps working, and the purge runs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.webchat import id_hash
from ecitizen import retention
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.engine.messages import ConversationKey, SessionStep
from flows.engine.records import Effect, KioskSession, NewTicket, Unit
from printing.connections import previews_written
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.domain.test_jmbg import build
from tests.flows.test_officer_dialogue import enrolled
from tests.inbox import Inbox
from tests.postgres import postgres_url
from tests.privacy_search import columns_holding, files_holding

CONSONANTS = "bcdfghjkmnpqrstvwxz"  # no vowels: a token never meets a real word
LIMITS_PASSED = timedelta(days=32)  # past every limit of the default settings
_lives = itertools.count(1)  # a replayed example is someone new to the chats


@dataclass(frozen=True)
class Person:
    token: str
    jmbg: str
    id_number: str
    mobile: str  # the 9 digits after +381

    @property
    def first_name(self) -> str:
        return self.token.capitalize()

    @property
    def last_name(self) -> str:
        return self.token[::-1].capitalize()

    @property
    def email(self) -> str:
        return f"{self.token}@example.com"

    @property
    def needles(self) -> list[str]:
        return [self.token, self.token[::-1], self.jmbg, self.id_number, self.mobile]


DIGITS = st.text("0123456789", min_size=9, max_size=9)


@st.composite
def persons(draw: st.DrawFn) -> Person:
    born = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)))
    jmbg = build(born, draw(st.sampled_from([71, 80, 85, 91])), draw(st.integers(0, 999)))
    assume(jmbg is not None)
    assert jmbg is not None
    return Person(
        token=draw(st.text(CONSONANTS, min_size=12, max_size=12)),
        jmbg=jmbg,
        id_number=draw(DIGITS.filter(lambda n: len(set(n)) >= 6)),
        mobile="64" + draw(DIGITS.filter(lambda n: len(set(n)) >= 6))[:7],
    )


async def registers(chat: Chat, person: Person, *, kiosk: bool = False) -> str:
    await chat.begins_registration()
    answers = [person.first_name, person.last_name, person.jmbg, person.id_number]
    await chat.answers(*answers, "0" + person.mobile)
    if kiosk:
        await chat.picks("Прескочи")
        await chat.picks("Долазим без заказивања")
    else:
        await chat.says(person.email)
        await chat.picks("Крагујевац")
        await chat.picks("Долазим без заказивања")
    await chat.picks("Пошаљи пријаву")
    assert chat.last.reference is not None, chat.text
    return chat.last.reference


async def decide(app: App, officer: Chat, approve: str, reject: str, person: Person) -> None:
    await officer.picks("Отвори по шифри")
    await officer.says(approve)
    await officer.picks("Одобри")
    assert "одобрена" in await officer.picks("Да")
    await officer.picks("Отвори по шифри")
    await officer.says(reject)
    await officer.picks("Одбиј")
    await officer.picks("други разлог")
    typed = f"{person.first_name}: ЈМБГ {person.jmbg} и ЛК {person.id_number} се не слажу"
    assert "одбијена" in await officer.says(typed)


async def leaves_traces(app: App, person: Person, life: int) -> None:
    """What the dialogues do not reach: the web chat, a kiosk screen, a ticket with a chat
    to tell, a guessed code, a notification and a slip that never went out."""
    store, now, token = app.store, app.env.clock(), f"{person.token}{life}"
    web = f"web{token}"
    await store.add_web_session(id_hash(f"cookie{token}"), web)
    said = {"from": "me", "text": [f"{person.first_name} {person.jmbg}"]}
    assert await store.post_to_mailbox(web, [said], "sr-Cyrl", keep=10, reply_to="c1")
    typed = {"text": f"{person.jmbg} {person.first_name}"}
    session = KioskSession(f"k{token}", "kg", ConversationKey("kiosk", f"kg:k{token}"))
    await store.add_kiosk_session(session)
    step = SessionStep(session.token, 0, 1, typed)
    await store.apply(Unit(inbound_id=("kiosk", f"k{token}:1"), session=step))
    tell = ConversationKey("telegram", f"tg{token}")
    hall = app.halls["kg"]
    ticket = NewTicket("kg", hall.local_day(now), "B", 1, now, notify=tell)
    later = Effect("notify", f"later:{token}", {"to": tell.user_key}, due_at=now + LIMITS_PASSED)
    slip = (f"stuck:{token}", "nowhere", "credentials", {"username": person.email})
    await store.apply(Unit(new_tickets=[ticket], effects=[later], print_jobs=[slip]))
    await Chat(app, f"guess{token}").says("/officer BCDF-GHJK-MNPQ")


async def lives_a_life(app: App, clock: Clock, person: Person) -> None:
    life = next(_lives)
    citizen = Chat(app, f"chat{person.token}{life}")
    approved = await registers(citizen, person)
    walk_in = Chat(app, f"kg:{person.token}{life}", channel="kiosk")
    rejected = await registers(walk_in, person, kiosk=True)
    draft = Chat(app, f"draft{person.token}{life}")
    await draft.begins_registration()
    await draft.answers(person.first_name, person.last_name, person.jmbg)
    officer = await enrolled(app, lambda user: Chat(app, user), f"Мира{life}")
    await decide(app, officer, approved, rejected, person)
    await leaves_traces(app, person, life)
    await app.printers.run_once()  # the credentials slip, kept by the file printer
    previews_written()
    while await app.outbox.run_once():
        pass
    for printed in (Path(app.config.data.dir) / "prints").iterdir():
        # the files' time is the file system's: date them by the test's clock instead
        os.utime(printed, (clock().timestamp(), clock().timestamp()))
    clock.advance(days=LIMITS_PASSED.days)
    await officer.says("/start")  # the officer works on: their chat is not idle


def database(kind: str, tmp_path: Path) -> AbstractAsyncContextManager[str]:
    if kind == "sqlite":
        return nullcontext(f"sqlite:///{tmp_path / 'var' / 'ecitizen.db'}")
    return postgres_url()


async def the_app(url: str, tmp_path: Path, clock: Clock) -> App:
    raw: dict[str, Any] = {"data": {"dir": str(tmp_path / "var"), "database": url}}
    app = await build_app(parse_config(raw), clock=clock)
    app.add_delivery("terminal", Inbox())
    return app


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_nothing_of_a_person_outlives_the_purge(tmp_path: Path, kind: str) -> None:
    loop = asyncio.new_event_loop()
    place = database(kind, tmp_path)
    url = loop.run_until_complete(place.__aenter__())
    clock = Clock()
    app = loop.run_until_complete(the_app(url, tmp_path, clock))
    data_dir = tmp_path / "var"

    async def check(person: Person) -> None:
        await lives_a_life(app, clock, person)
        before = await columns_holding(url, person.needles)
        assert {t.split(".")[0] for t in before} >= FILLED  # the person is everywhere
        assert files_holding(data_dir / "prints", person.needles)

        report = await retention.purge(app)

        assert report.erased == 2 and report.files >= 2
        assert await columns_holding(url, person.needles) == set()
        assert files_holding(data_dir, person.needles) == []  # the database file too

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(persons())
    def every_person(person: Person) -> None:
        loop.run_until_complete(check(person))

    try:
        every_person()
    finally:
        loop.run_until_complete(app.close())
        loop.run_until_complete(place.__aexit__(None, None, None))
        loop.close()


# Every table that can hold a person's data; the others hold none (docs/privacy.md).
FILLED = {
    "registrations",
    "registration_links",
    "accounts",
    "conversations",
    "processed_inbound",
    "outbox",
    "print_jobs",
    "tickets",
    "kiosk_sessions",
    "mailboxes",
    "mailbox_items",
    "mailbox_replies",
    "webchat_sessions",
}
