"""Flows as data: steps, the slot each fills, the check each runs, and where each leads.

A flow is a table of steps; each step's `on` maps an outcome ("ok", "yes", "edit_phone",
...) to the next step. `compile_flow` turns the table into one shared `transitions`
machine per flow; the engine fires the outcome on a plain model per message (no machine
per user, no add_model per message: docs/architecture.md gives the measurements).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from transitions import Machine

from flows.engine.messages import Expect

END = "end"  # the terminal state of every flow: the engine returns to the menu


class Kind(StrEnum):
    ASK = "ask"  # free text, run through a check
    CHOOSE = "choose"  # one of the offered choices (static or from a provider)
    CONFIRM = "confirm"  # yes / no
    INFO = "info"  # text with a "continue" button
    ACTION = "action"  # no question: the engine runs an action and follows its outcome


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str  # message key


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: Kind
    prompt: str = ""  # message key of the question
    slot: str | None = None  # where the answer goes
    check: str | None = None  # ASK: validator name; ACTION: action name
    options: tuple[Option, ...] = ()  # CHOOSE: static choices
    provider: str | None = None  # CHOOSE: name of a provider of dynamic choices
    expect: Expect = Expect.TEXT
    optional: bool = False  # ASK: may be skipped
    help: str = ""  # message key explaining the field (after failures, or on "help")
    on: dict[str, str] = field(default_factory=dict)  # outcome -> next step
    clears: tuple[str, ...] = ()  # slots that lose their value when this one changes
    # ASK: free text's bound; None when the check has a length rule of its own and says it
    # ("the JMBG has 13 digits; you typed 15"), however long the answer
    max_len: int | None = None
    skip_when: str | None = None  # name of a predicate: the step is passed over when true


def ask(
    name: str,
    slot: str,
    check: str,
    expect: Expect = Expect.TEXT,
    *,
    on: dict[str, str],
    optional: bool = False,
    clears: tuple[str, ...] = (),
    max_len: int | None = None,
    prompt: str | None = None,
    skip_when: str | None = None,
    options: tuple[Option, ...] = (),
) -> Step:
    """An ASK step whose prompt and help keys follow its name: ask.<name>, help.<name>.
    `options`: buttons offered besides the typed answer, each an outcome of its own
    (e.g. "Passport" beside the ID card number)."""
    return Step(
        name,
        Kind.ASK,
        prompt=prompt or f"ask.{name}",
        skip_when=skip_when,
        slot=slot,
        check=check,
        options=options,
        expect=expect,
        help=f"help.{name}",
        on=on,
        optional=optional,
        clears=clears,
        max_len=max_len,
    )


def choose(
    name: str,
    slot: str | None,
    *,
    on: dict[str, str],
    options: tuple[Option, ...] = (),
    provider: str | None = None,
    clears: tuple[str, ...] = (),
    expect: Expect = Expect.CHOICE,
    prompt: str | None = None,
    skip_when: str | None = None,
    check: str | None = None,
) -> Step:
    """`check`: typed text that is none of the choices goes to this check (e.g. a search),
    whose Outcome is followed; without one, such text is asked again."""
    return Step(
        name,
        Kind.CHOOSE,
        prompt=prompt or f"ask.{name}",
        skip_when=skip_when,
        slot=slot,
        check=check,
        options=options,
        provider=provider,
        help=f"help.{name}",
        on=on,
        clears=clears,
        expect=expect,
    )


def confirm(name: str, *, on: dict[str, str], skip_when: str | None = None) -> Step:
    return Step(
        name,
        Kind.CONFIRM,
        prompt=f"ask.{name}",
        expect=Expect.YES_NO,
        on=on,
        help=f"help.{name}",
        skip_when=skip_when,
    )


def info(
    name: str, *, on: dict[str, str], provider: str | None = None, prompt: str | None = None
) -> Step:
    return Step(
        name,
        Kind.INFO,
        prompt=f"info.{name}" if prompt is None else prompt,
        provider=provider,
        expect=Expect.CHOICE,
        on=on,
    )


def action(name: str, run: str, *, on: dict[str, str]) -> Step:
    return Step(name, Kind.ACTION, check=run, expect=Expect.NOTHING, on=on)


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    # steps the summary can send the citizen back to, as "edit_<slot>" outcomes
    editable: tuple[str, ...] = ()

    @property
    def first(self) -> str:
        return self.steps[0].name

    def step(self, name: str) -> Step:
        return self._index[name]

    def has(self, name: str) -> bool:
        return name in self._index

    @cached_property
    def _index(self) -> dict[str, Step]:
        return {s.name: s for s in self.steps}

    def transitions(self) -> list[tuple[str, str, str]]:
        """(trigger, source, dest) rows: the table the machine is built from."""
        rows: list[tuple[str, str, str]] = []
        for s in self.steps:
            for outcome, dest in s.on.items():
                rows.append((outcome, s.name, dest))
        return rows

    def states(self) -> list[str]:
        return [s.name for s in self.steps] + [END]


class _Position:
    """The plain model a shared machine moves: just a state attribute."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class CompiledFlow:
    """A flow's shared machine. `next_state` fires one outcome from one state."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        names = set(flow.states())
        for step in flow.steps:
            if step.kind is Kind.CHOOSE and not (step.options or step.provider):
                raise ValueError(f"flow {flow.name}: {step.name} has nothing to choose from")
        for trigger, source, dest in flow.transitions():
            if dest not in names:
                raise ValueError(f"flow {flow.name}: {source} --{trigger}--> unknown {dest}")
        self.machine = Machine(
            model=None,
            states=flow.states(),
            transitions=[{"trigger": t, "source": s, "dest": d} for t, s, d in flow.transitions()],
            initial=flow.first,
            auto_transitions=False,
            ignore_invalid_triggers=True,
        )

    def next_state(self, state: str, outcome: str) -> str | None:
        """Where the outcome leads from the state, or None when the table has no row."""
        event = self.machine.events.get(outcome)
        if event is None:
            return None
        position = _Position(state)
        if not event.trigger(position):
            return None
        return position.state


def compile_flows(flows: list[Flow]) -> dict[str, CompiledFlow]:
    return {f.name: CompiledFlow(f) for f in flows}
