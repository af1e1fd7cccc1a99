"""The flow tables themselves: every state reachable, and cancel and help work everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from flows.conversations.assembly import FLOWS
from flows.engine.flow import END, Flow, Kind, Step
from flows.engine.i18n import render
from flows.engine.messages import Msg
from flows.engine.records import Conversation, Unit
from tests.dialogue import Chat


def reachable(flow: Flow) -> set[str]:
    seen, todo = {flow.first}, [flow.first]
    edges: dict[str, set[str]] = {}
    for _, source, dest in flow.transitions():
        edges.setdefault(source, set()).add(dest)
    while todo:
        for nxt in edges.get(todo.pop(), set()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


@pytest.mark.parametrize("flow", FLOWS, ids=[f.name for f in FLOWS])
def test_every_state_is_reachable_and_every_flow_can_end(flow: Flow) -> None:
    states = reachable(flow)
    assert set(flow.states()) == states, f"unreachable: {set(flow.states()) - states}"
    assert END in states


STEPS = [(f, s) for f in FLOWS for s in f.steps if s.kind is not Kind.ACTION]

# checks whose domain rule bounds the answer and says its own length rule when it is broken
LENGTH_RULED = frozenset(
    {
        "name",
        "jmbg",
        "id_number",
        "id_card_number",
        "passport_number",
        "phone",
        "email",
        "ref",
        "code",
    }
)


def test_every_free_text_answer_is_bounded_by_its_rule_or_its_step() -> None:
    """A field with a length rule says it ("the JMBG has 13 digits; you typed 15"), so its
    step adds no generic bound; free text (a rejection reason) has a bound of its own."""
    asks = [s for f in FLOWS for s in f.steps if s.kind is Kind.ASK]
    assert asks
    for step in asks:
        assert (step.max_len is None) == (step.check in LENGTH_RULED), step.name


async def park(app: App, ana: Chat, flow: Flow, state: str) -> None:
    """Put the conversation at a step, as if the citizen had walked there."""
    conv = await app.store.load_conversation(ana.key) or Conversation(ana.key)
    conv.flow, conv.state, conv.language = flow.name, state, "sr-Cyrl"
    conv.slots = {"_language_chosen": True, "hall": "kg", "first_name": "Ана"}
    await app.store.apply(Unit(conversation=conv))


@pytest.mark.parametrize(("flow", "step"), STEPS, ids=[f"{f.name}.{s.name}" for f, s in STEPS])
async def test_help_and_cancel_work_from_every_step(
    app: App, chat: Callable[..., Chat], flow: Flow, step: Step
) -> None:
    ana = chat(f"{flow.name}-{step.name}")
    await park(app, ana, flow, step.name)
    reply = await ana.says("/help")
    expected = render_key(step.help or "help.general")
    assert expected in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and (conv.flow, conv.state) == (flow.name, step.name)

    reply = await ana.says("/cancel")
    assert "Шта желите да урадите?" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.flow == "" and "first_name" not in conv.slots


def render_key(key: str) -> str:
    return render(Msg(key), "sr-Cyrl").split("{")[0][:40]
