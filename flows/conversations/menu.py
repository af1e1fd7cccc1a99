"""The root of every conversation: the menu, the language choice and deep links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.engine.messages import Choice, Expect, Msg, Outbound
from flows.engine.parking import RESUME, parked_flow
from flows.engine.present import LANGUAGE_CHOICES, plain_reply
from flows.engine.turn import Turn

if TYPE_CHECKING:
    from flows.engine.engine import Engine

# menu choice -> the flow it starts
FLOW_OF: dict[str, str] = {
    "menu.register": "registration",
    "menu.status": "status",
    "menu.guide": "guide",
    "menu.checkin": "checkin",
    "menu.ticket": "ticket",
    "menu.officer": "officer",
    "menu.language": "language",
    "menu.consentid": "activation",
}

# flows whose cancel says what was (not) kept
CANCEL_TEXTS = frozenset({"registration", "status", "checkin", "ticket", "officer", "enroll"})


def flow_of(choice: str) -> str | None:
    return FLOW_OF.get(choice)


def cancelled(flow: str) -> str:
    return f"cancelled.{flow}" if flow in CANCEL_TEXTS else "cancelled"


def _choice(id_: str) -> Choice:
    return Choice(id_, Msg(id_))


async def choices(turn: Turn, end: bool = False) -> list[Choice]:
    """`end`: the menu under a flow's last answer (on a shared screen, kept short so the
    answer fits it; the ConsentID guide is for someone who just came from the counter).
    A shared screen stands in a hall: its menu is the hall's, and none of it is anyone's
    own (their registrations, their officer's workspace, their language)."""
    if turn.traits.shared_screen:
        ids = ["menu.register", "menu.checkin", "menu.ticket", "menu.guide"]
        if not end:
            ids.insert(3, "menu.consentid")
    else:
        ids = ["menu.register", "menu.status", "menu.guide", "menu.language"]
        # only a chat that once enrolled asks the store (revocation still counts at once)
        if turn.conv.slots.get("_officer") and await turn.load_officer() is not None:
            ids.insert(0, "menu.officer")
    parked = parked_flow(turn.conv)
    # the draft set aside takes the place of the entry that would begin it anew
    return [
        Choice(RESUME, Msg(f"menu.resume.{parked}"))
        if parked is not None and FLOW_OF.get(i) == parked
        else _choice(i)
        for i in ids
    ]


def asks_language(turn: Turn) -> bool:
    """A first contact with no language hint: the language comes before anything else
    (a shared screen shows its own language switch)."""
    return turn.conv.language is None and not turn.traits.shared_screen


async def present(turn: Turn, end: bool = False) -> Outbound:
    """The menu; for a chat whose language is not known yet, the language comes first, once
    (also at the end of a flow begun before it was chosen, e.g. an officer's enrollment, so
    that no later tap is taken for something else)."""
    if asks_language(turn):
        if not end:
            turn.texts.insert(0, Msg("menu.welcome_all"))
        return language_choice(turn)
    texts = list(turn.texts)
    if not texts and not end:
        texts.append(Msg("menu.welcome"))
    parked = parked_flow(turn.conv)
    texts.append(Msg(f"menu.parked.{parked}") if parked else Msg("menu.prompt"))
    screen = "menu" if not end else "menu.after"
    return plain_reply(turn, texts, await choices(turn, end), screen, Expect.CHOICE, end=end)


def language_choice(turn: Turn) -> Outbound:
    texts = [*turn.texts, Msg("language.prompt")]
    return plain_reply(turn, texts, list(LANGUAGE_CHOICES), "language", Expect.CHOICE)


async def deep_link(turn: Turn, payload: str, engine: Engine) -> Outbound:
    """`/start <payload>`: link the registration the signed payload names to this chat."""
    env = turn.env
    compact = env.links.verify(payload, env.clock())
    registration = None
    if compact is not None:
        registration = await env.store.get_registration(f"{compact[:4]}-{compact[4:]}")
    if registration is None or registration.erased:
        turn.say("deeplink.invalid")
        return await present(turn)
    turn.unit.links.append((registration.ref, turn.conv.key))
    if turn.conv.language is None or not turn.conv.slots.get("_language_chosen"):
        turn.conv.language = turn.conv.language or registration.language
    turn.say("deeplink.linked", ref=registration.ref)
    return await engine.start_flow(turn, "status", {"ref": registration.ref})
