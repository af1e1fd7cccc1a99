"""The step kinds: how each reads an answer and which outcome it gives.

Reading never raises and never loses a filled slot: an answer the step cannot use comes
back as Invalid (with a reason that names a catalog message), and the slots stay as they were.
"""

from __future__ import annotations

from flows.domain.textinput import clean_input
from flows.engine.flow import Kind, Step
from flows.engine.messages import PAGE_TURN, Choice, Expect, Msg, is_page_turn
from flows.engine.present import (
    CONTINUE,
    NO,
    OFFERED,
    SKIP,
    YES,
    ask_buttons,
    match_choice,
    was_offered,
)
from flows.engine.turn import Invalid, Outcome, Parts, Turn

_YES_WORDS = frozenset({"yes", "y", "da", "д", "да", "ok", "у реду", "u redu"})
_NO_WORDS = frozenset({"no", "n", "ne", "не", "н"})
LANGUAGE_SLOT = "_language"
PAGE_SLOT = "_page"  # where the page last turned to starts (a provider's own marker)
PAGE_OUTCOME = "page"  # a page was turned: the table leads back to the same question
# a button pressed on an earlier message: not the person's mistake, so not a failed try
STALE_BUTTON = "stale_button"


async def offered(turn: Turn, step: Step, parts: Parts) -> list[Choice]:
    """The choices the step offers right now (the same the person was shown)."""
    if step.provider:
        return list((await parts.providers[step.provider](turn)).choices)
    if step.kind is Kind.CHOOSE:
        return [Choice(o.id, Msg(o.label)) for o in step.options]
    if step.kind is Kind.CONFIRM:
        return [YES, NO]
    if step.kind is Kind.INFO:
        return [CONTINUE]
    return ask_buttons(step)


def _raw_answer(turn: Turn, step: Step) -> str | None:
    inbound = turn.inbound
    if step.expect is Expect.PHONE and inbound.contact:
        return inbound.contact
    if inbound.scan is not None:
        return inbound.scan
    return inbound.text


async def receive(turn: Turn, step: Step, parts: Parts) -> str | Invalid:
    if step.kind is Kind.ASK:
        return _receive_ask(turn, step, parts)
    picked = turn.inbound.choice
    if picked is not None and step.kind is Kind.CHOOSE and was_offered(turn, step, picked):
        return _chosen(turn, step, picked)
    if is_page_turn(picked) and PAGE_OUTCOME in step.on:
        # a page turn only says which page to show: one pressed twice, or on a page shown
        # before, shows that page again
        return _chosen(turn, step, picked or "")
    choices = await offered(turn, step, parts)
    if picked is None and turn.inbound.text is not None:
        text = turn.inbound.text.strip().casefold()
        if step.kind is Kind.CONFIRM and text in _YES_WORDS:
            picked = "yes"
        elif step.kind is Kind.CONFIRM and text in _NO_WORDS:
            picked = "no"
        else:
            picked = match_choice(turn.inbound.text, choices, turn.language)
    if step.kind is Kind.INFO and picked is None and turn.inbound.text is not None:
        picked = "ok" if len(choices) == 1 else None
    if picked is None or not any(c.id == picked for c in choices):
        if turn.inbound.choice is not None:
            return Invalid(STALE_BUTTON)
        if step.kind is Kind.CHOOSE and step.check and turn.inbound.text is not None:
            return _typed_instead(turn, step, parts)
        return Invalid("choose" if step.kind is not Kind.CONFIRM else "yes_no")
    return _chosen(turn, step, picked)


def _chosen(turn: Turn, step: Step, picked: str) -> str:
    turn.conv.slots.pop(OFFERED, None)
    if is_page_turn(picked):
        turn.conv.slots[PAGE_SLOT] = picked.removeprefix(PAGE_TURN)
        return PAGE_OUTCOME
    turn.conv.slots.pop(PAGE_SLOT, None)
    if step.slot:
        _fill(turn, step, picked)
    if step.slot == LANGUAGE_SLOT:
        turn.conv.language = picked
        turn.conv.slots["_language_chosen"] = True
    return picked if picked in step.on else "ok"


def _typed_instead(turn: Turn, step: Step, parts: Parts) -> str | Invalid:
    """Text typed at a choice whose step takes text too (a search): its check decides."""
    cleaned = clean_input(turn.inbound.text or "", step.max_len)
    if not isinstance(cleaned, str):
        return Invalid(f"input.{cleaned.reason}", (("max", str(step.max_len)),))
    result = parts.checks[step.check or ""](cleaned, turn)
    if isinstance(result, Invalid):
        return result
    return result.name if isinstance(result, Outcome) else "ok"


def _receive_ask(turn: Turn, step: Step, parts: Parts) -> str | Invalid:
    if step.optional and turn.inbound.choice == SKIP.id:
        if step.slot:
            _fill(turn, step, None)
        return "ok"
    if turn.inbound.choice is not None and any(o.id == turn.inbound.choice for o in step.options):
        return turn.inbound.choice
    if turn.inbound.choice is not None and turn.inbound.text is None:
        return Invalid(STALE_BUTTON)
    raw = _raw_answer(turn, step)
    if raw is None:
        return Invalid("unsupported")
    cleaned = clean_input(raw, step.max_len)
    if not isinstance(cleaned, str):
        return Invalid(f"input.{cleaned.reason}", cleaned.values)
    result = parts.checks[step.check or ""](cleaned, turn)
    if isinstance(result, Invalid):
        return result
    if isinstance(result, Outcome):
        return result.name
    if step.slot:
        _fill(turn, step, result)
    return "ok"


def _fill(turn: Turn, step: Step, value: object) -> None:
    slots = turn.conv.slots
    assert step.slot is not None
    # from the summary, asked to change this answer: what hangs on it is asked again even
    # when the same answer is given (the same day, to pick another time)
    changing = "_return" in slots
    if step.slot in slots and (slots[step.slot] != value or changing):
        for cleared in step.clears:
            slots.pop(cleared, None)
    slots[step.slot] = value


def takes_code(turn: Turn, step: Step | None, parts: Parts) -> bool:
    """The step asks for a code and its check takes the typed text as one (an officer's
    one-time enrollment code has the shape of an activation code, and is meant here)."""
    if step is None or step.kind is not Kind.ASK or step.expect is not Expect.CODE:
        return False
    cleaned = clean_input(turn.inbound.text or "", step.max_len)
    if not isinstance(cleaned, str):
        return False
    return not isinstance(parts.checks[step.check or ""](cleaned, turn), Invalid)
