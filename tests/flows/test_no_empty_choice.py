"""No screen of any flow offers an empty list of choices, whatever the data leaves to choose.

Every step of every compiled flow (officer flows included) is shown and then answered at
random in two worlds where there is nothing to offer:
- "bare": real parts over real empty data: a hall with no opening hours and no counters,
  an officer with no counter, and no registrations, tickets or print jobs;
- "silent": the same engine and store, with every provider made to offer nothing.
Where a choice is expected the screen always offers one (at least a way on or back).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.conversations import menu
from flows.conversations.assembly import FLOWS, all_parts
from flows.conversations.officer import invite_hash, new_invite_code
from flows.engine.engine import Engine
from flows.engine.flow import Kind
from flows.engine.messages import LANGUAGES, Command, ConversationKey, Expect, Inbound, Outbound
from flows.engine.records import Conversation, OfficerInvite, Unit
from flows.engine.turn import Presentation, Turn
from tests.conftest import Clock

CHOOSING = (Expect.CHOICE, Expect.SLOT, Expect.YES_NO)
# where a conversation rests: flow, step, slots, history, language, channel
Place = tuple[str, str, dict[str, object], list[str], str, str]
_users = itertools.count()

BARE_HALL = {
    "code": "kg",
    "name": "Крагујевац, Градска управа",
    "name_en": "Kragujevac City Administration",
    "address": "Трг слободе 3, Крагујевац",
    "hours": {},  # not open yet: no visit can be booked
    "counters": [],
}
# what a person may have told a flow by the time it reaches a step
GIVEN: dict[str, object] = {
    "first_name": "Ана",
    "last_name": "Петровић",
    "jmbg": "0512981717776",
    "id_number": "012345678",
    "phone": "+381641234567",
    "email": "ana@primer.rs",
    "hall": "kg",
    "visit_day": "2026-12-01",
    "visit": "2026-12-01T09:00:00+01:00",
    "ref": "ABCD-2345",
    "category": "child",
    "procedure": "kindergarten",
    "service": "A",
    "ticket_id": 1,
    "job_id": "1",
    "counter_pick": "1",
    "to_counter": "2",
    "reason": "other",
    "reason_text": "без личне карте",
    "code": "ABCD-EFGH-JKLM",
}


@dataclass
class World:
    app: App
    engine: Engine
    officer: ConversationKey  # an enrolled officer's chat

    async def handle(self, inbound: Inbound) -> Outbound:
        replies = await self.engine.handle(inbound)
        assert len(replies) == 1, "every message gets one answer"
        reply = replies[0]
        if reply.expect in CHOOSING:
            assert reply.choices, f"{reply.screen} offers nothing to choose: {reply.text}"
        return reply


def steps_shown() -> list[tuple[str, str]]:
    """(flow, step) for every step a person can stand at: all but the actions."""
    return [(f.name, s.name) for f in FLOWS for s in f.steps if s.kind is not Kind.ACTION]


async def offers_nothing(turn: Turn) -> Presentation:
    return Presentation()


async def make_world(folder: Path, clock: Clock, silent: bool) -> World:
    config = parse_config({"data": {"dir": str(folder)}, "halls": [BARE_HALL]})
    app = await build_app(config, clock=clock)
    engine = app.engine
    assert [c.flow for c in engine.flows.values()] == list(FLOWS)  # every flow is walked
    if silent:
        parts = all_parts()
        parts.providers = {name: offers_nothing for name in parts.providers}
        engine = Engine(app.env, FLOWS, parts, app.store, menu)
    code = new_invite_code()
    expires = clock() + timedelta(hours=1)
    await app.store.add_invite(OfficerInvite(invite_hash(code), "Мира", "kg", expires))
    officer = ConversationKey("terminal", "mira")
    await app.handle(Inbound(officer, command=Command.OFFICER, payload=code))
    assert await app.store.officer_for(officer) is not None
    return World(app, engine, officer)


async def stand_at(
    world: World,
    flow: str,
    step: str,
    slots: dict[str, object],
    history: list[str],
    language: str,
    channel: str,
) -> ConversationKey:
    """A conversation resting at the step, as a person would have left it there."""
    if flow in ("officer", "enroll"):
        key = world.officer
    elif channel == "kiosk":
        key = ConversationKey("kiosk", f"kg:s{next(_users)}")
    else:
        key = ConversationKey("terminal", f"u{next(_users)}")
    conv = await world.app.store.load_conversation(key) or Conversation(key)
    sticky = {k: v for k, v in conv.slots.items() if k in ("_officer", "_language_chosen")}
    conv.flow, conv.state, conv.history, conv.failures = flow, step, history, 0
    conv.language, conv.slots = language, {**sticky, **slots, "_language_chosen": True}
    await world.app.store.apply(Unit(conversation=conv))
    return key


@pytest.fixture(params=["bare", "silent"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    made = await make_world(tmp_path, Clock(), silent=request.param == "silent")
    yield made
    await made.app.close()


def histories(flow: str, step: str) -> Iterator[list[str]]:
    names = [n for f, n in steps_shown() if f == flow]
    yield []
    yield names[: names.index(step)]


@pytest.mark.parametrize(("flow", "step"), steps_shown())
async def test_every_step_offers_something_to_choose_when_there_is_nothing(
    world: World, flow: str, step: str
) -> None:
    for slots in ({}, GIVEN):
        for history in histories(flow, step):
            key = await stand_at(world, flow, step, dict(slots), history, "en", "terminal")
            reply = await world.handle(Inbound(key, command=Command.HELP))
            if reply.choices:
                await world.handle(Inbound(key, choice=reply.choices[0].id))
            await world.handle(Inbound(key, command=Command.BACK))


# one thing a person does: a command, typed text, or the n-th offered choice
moves = st.one_of(
    st.sampled_from([Command.BACK, Command.HELP, Command.START, Command.CANCEL]).map(
        lambda c: ("command", c)
    ),
    st.sampled_from(["1", "2", "да", "yes", "", "0512981717776", "x"]).map(lambda t: ("text", t)),
    st.integers(min_value=0, max_value=9).map(lambda n: ("pick", n)),
    st.sampled_from(["walk_in", "ok", "home", "submit", "cmd:back"]).map(lambda c: ("choice", c)),
)


@st.composite
def places(draw: st.DrawFn) -> Place:
    flow, step = draw(st.sampled_from(steps_shown()))
    names = [n for f, n in steps_shown() if f == flow]
    history = draw(st.lists(st.sampled_from(names), max_size=5))
    given_ = draw(st.lists(st.sampled_from(sorted(GIVEN)), unique=True))
    slots = {k: GIVEN[k] for k in given_}
    language = draw(st.sampled_from(LANGUAGES))
    channel = draw(st.sampled_from(["terminal", "kiosk"]))
    return flow, step, slots, history, language, channel


def inbound_for(key: ConversationKey, move: tuple[str, object], last: Outbound) -> Inbound:
    kind, value = move
    if kind == "command":
        assert isinstance(value, Command)
        return Inbound(key, command=value)
    if kind == "text":
        return Inbound(key, text=str(value))
    if kind == "pick" and last.choices:
        assert isinstance(value, int)
        return Inbound(key, choice=last.choices[value % len(last.choices)].id)
    return Inbound(key, choice=str(value))


@pytest.mark.parametrize("silent", [False, True], ids=["bare", "silent"])
def test_random_walks_from_any_step_never_meet_an_empty_choice(
    tmp_path: Path, silent: bool
) -> None:
    loop = asyncio.new_event_loop()
    world = loop.run_until_complete(make_world(tmp_path, Clock(), silent))

    async def walk(place: Place, path: list[tuple[str, object]]) -> None:
        key = await stand_at(world, *place)
        last = await world.handle(Inbound(key, command=Command.HELP))
        for move in path:
            last = await world.handle(inbound_for(key, move, last))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(places(), st.lists(moves, max_size=8))
    def run(place: Place, path: list[tuple[str, object]]) -> None:
        loop.run_until_complete(walk(place, path))

    try:
        run()
    finally:
        loop.run_until_complete(world.app.close())
        loop.close()
