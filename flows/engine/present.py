"""Turning the conversation's position into the reply the person sees."""

from __future__ import annotations

from flows.engine.flow import CompiledFlow, Kind, Step
from flows.engine.i18n import placeholders, render, to_latin
from flows.engine.messages import LANGUAGES, Choice, Expect, Msg, Outbound
from flows.engine.turn import Parts, Presentation, Turn

YES = Choice("yes", Msg("choice.yes"))
NO = Choice("no", Msg("choice.no"))
CONTINUE = Choice("ok", Msg("choice.continue"))
SKIP = Choice("skip", Msg("choice.skip"))
HELP = Choice("cmd:help", Msg("choice.help"))
CANCEL = Choice("cmd:cancel", Msg("choice.cancel"))
MENU = Choice("cmd:menu", Msg("choice.menu"))
BACK = Choice("cmd:back", Msg("choice.back"))

LANGUAGE_CHOICES = tuple(Choice(f"lang:{code}", Msg(f"language.{code}")) for code in LANGUAGES)


OFFERED = "_offered"  # the step and choice ids last shown: a pressed button is checked here


def remember_offered(turn: Turn, step: Step, choices: list[Choice]) -> None:
    """Kept with the conversation, so a pressed button need not run the provider again
    (a slot-availability read, a summary) just to check that it was offered."""
    if step.kind is Kind.CHOOSE and step.provider:
        turn.conv.slots[OFFERED] = [step.name, *(c.id for c in choices)]


def was_offered(turn: Turn, step: Step, choice: str) -> bool:
    shown = turn.conv.slots.get(OFFERED)
    return isinstance(shown, list) and shown[:1] == [step.name] and choice in shown[1:]


def ask_buttons(step: Step) -> list[Choice]:
    """What an ASK step offers besides typing: its alternatives, then "Skip"."""
    buttons = [Choice(o.id, Msg(o.label)) for o in step.options]
    return [*buttons, SKIP] if step.optional else buttons


def slot_values(turn: Turn, key: str) -> dict[str, str | Msg]:
    """The slot values the prompt `key` quotes, e.g. {first_name}; internal slots start with
    '_'. Only those: the reply is recorded with the message, and keeps no answer it does
    not show."""
    names = placeholders(key)
    if not names:  # most prompts quote nothing
        return {}
    slots = turn.conv.slots
    return {
        name: value
        for name in names
        if isinstance(value := slots.get(name), str) and not name.startswith("_")
    }


async def provided(turn: Turn, step: Step, parts: Parts) -> Presentation:
    """What the step's provider adds right now (nothing, for a step without one)."""
    return await parts.providers[step.provider](turn) if step.provider else Presentation()


def nothing_to_choose(step: Step, shown: Presentation) -> bool:
    return step.kind is Kind.CHOOSE and not (shown.choices if step.provider else step.options)


async def step_back(
    turn: Turn, flow: CompiledFlow, empty: Step, shown: Presentation, parts: Parts
) -> tuple[Step, Presentation]:
    """A choice with nothing to choose is never shown (the last time of a day was taken
    meanwhile): the person goes back to the latest earlier step that can be answered (the
    day, then the hall) and is told why, in the empty provider's words or general ones.
    With nothing earlier either, the step offers the way back out of the flow."""
    turn.texts.extend(shown.texts or [Msg("engine.nothing_left")])
    conv = turn.conv
    while conv.history:
        name = conv.history.pop()
        if name == empty.name or not flow.flow.has(name):
            continue
        earlier = flow.flow.step(name)
        found = await provided(turn, earlier, parts)
        if earlier.kind is not Kind.ACTION and not nothing_to_choose(earlier, found):
            conv.state, conv.failures = name, 0
            return earlier, found
    return empty, Presentation(choices=[BACK])


async def step_reply(turn: Turn, flow: CompiledFlow, step: Step, parts: Parts) -> Outbound:
    # `provided`, written out: a coroutine fewer for every reply
    shown = await parts.providers[step.provider](turn) if step.provider else Presentation()
    if nothing_to_choose(step, shown):
        step, shown = await step_back(turn, flow, step, shown, parts)
    choices = list(shown.choices)
    if step.kind is Kind.CHOOSE and not step.provider and step.options:
        choices = [Choice(o.id, Msg(o.label)) for o in step.options]
    elif step.kind is Kind.CONFIRM and not choices:
        choices = [YES, NO]
    elif step.kind is Kind.INFO and not choices:
        choices = [CONTINUE]
    if step.kind is Kind.ASK:
        choices += ask_buttons(step)
    texts = [*turn.texts, *shown.texts]
    if step.prompt:
        texts.append(Msg.of(step.prompt, **slot_values(turn, step.prompt)))
    remember_offered(turn, step, choices)
    if shown.audit:
        turn.unit.audit += shown.audit
    if turn.conv.failures >= turn.env.settings.max_failures:
        if step.help:
            texts.insert(len(texts) - 1, Msg(step.help))
        choices += [HELP, CANCEL]
    return Outbound(
        key=turn.conv.key,
        language=turn.language,
        text=tuple(texts),
        choices=tuple(choices),
        expect=step.expect if step.kind is not Kind.INFO else Expect.CHOICE,
        qr=shown.qr,
        screen=f"{flow.flow.name}.{step.name}",
        reference=shown.reference,
        ticket=shown.ticket,
        extras=dict(shown.extras),
        answer=given_answer(turn, step),
    )


def given_answer(turn: Turn, step: Step) -> str | None:
    """What this question's slot already holds (as the check stored it), for a field."""
    if step.kind is not Kind.ASK or not step.slot:
        return None
    value = turn.conv.slots.get(step.slot)
    return value if isinstance(value, str) and value else None


def plain_reply(
    turn: Turn,
    texts: list[Msg],
    choices: list[Choice],
    screen: str,
    expect: Expect = Expect.CHOICE,
    end: bool = False,
) -> Outbound:
    shown = turn.shown or Presentation()
    return Outbound(
        key=turn.conv.key,
        language=turn.language,
        text=tuple(texts),
        choices=tuple(choices),
        expect=expect,
        qr=shown.qr,
        screen=screen,
        reference=shown.reference,
        ticket=shown.ticket,
        end=end,
        extras=dict(shown.extras),
    )


def match_choice(
    text: str, choices: list[Choice] | tuple[Choice, ...], language: str
) -> str | None:
    """A typed answer to a choice: its number ("2") or its label, in any script. A number
    with a leading zero is an answer of its own (an ID card's "000000001"), not a button."""
    t = text.strip().rstrip(".)").casefold()
    if t.isdigit() and not t.startswith("0") and int(t) <= len(choices):
        return choices[int(t) - 1].id
    wanted = to_latin(t)
    for c in choices:
        if to_latin(render(c.label, language).casefold()) == wanted or c.id.casefold() == t:
            return c.id
    return None


def unknown_hall_reply(turn: Turn, code: str) -> Outbound:
    """The channel says this conversation stands in a hall that is not set up here: said
    so (never taken for another hall's queue)."""
    text = (Msg.of("engine.unknown_hall", hall=code),)
    return Outbound(key=turn.conv.key, language=turn.language, text=text, screen="error")
