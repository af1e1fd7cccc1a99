"""A citizen's own registration: its status, moving the visit, cancelling; and the language."""

from __future__ import annotations

from flows.conversations.activation import START
from flows.conversations.booking import (
    WALK_IN,
    hall_label,
    slot_taken,
    visit_of,
    visit_steps,
    when_label,
)
from flows.conversations.own_registrations import grant_changes, may_change, wrong_number
from flows.conversations.registration import LANGUAGE_OPTIONS, reminder
from flows.domain import lifecycle
from flows.domain.halls import Hall
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.flow import END, Flow, action, ask, choose, confirm
from flows.engine.messages import Choice, Expect, Msg
from flows.engine.ports import IllegalTransition, SlotFull, StoreError
from flows.engine.records import AuditEntry, Registration, Transition, VisitChange
from flows.engine.turn import Parts, Presentation, Turn

WANTS = "_wants"  # what the citizen asked to do from the status: "move" or "cancel"
OWNER_PHONE = "_owner_phone"
CLOSED = frozenset(
    {RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED, RegistrationStatus.EXPIRED}
)
OWNER_TRIES = 3  # wrong numbers before the chat is sent to the hall instead

LANGUAGE = Flow(
    name="language",
    steps=(
        choose(
            "language",
            "_language",
            options=LANGUAGE_OPTIONS,
            on={"ok": "done"},
            prompt="language.prompt",
        ),
        action("done", "say_language_changed", on={"ok": END}),
    ),
)

STATUS = Flow(
    name="status",
    steps=(
        action("find", "find_registrations", on={"one": "show", "many": "pick", "none": END}),
        choose("pick", "ref", provider="my_registrations", on={"ok": "show"}),
        choose(
            "show",
            WANTS,
            provider="status_view",
            on={"move": "owner_phone", "cancel": "owner_phone", "done": END},
        ),
        # a chat that only scanned the slip's code follows the registration; changing it
        # takes the mobile number given in it (on Telegram and Viber: the shared contact)
        ask(
            "owner_phone",
            OWNER_PHONE,
            "phone",
            Expect.PHONE,
            on={"ok": "owner"},
            skip_when="may_change",
        ),
        action(
            "owner",
            "check_owner",
            on={
                "move": "visit_day",
                "cancel": "confirm_cancel",
                "retry": "owner_phone",
                "refused": END,
            },
        ),
        *visit_steps(then="move"),
        action("move", "move_visit", on={"ok": END}),
        confirm("confirm_cancel", on={"yes": "cancel", "no": "show"}),
        action("cancel", "cancel_registration", on={"ok": END}),
    ),
)


async def say_language_changed(turn: Turn) -> str:
    turn.say("language.changed")
    return "ok"


async def _mine(turn: Turn) -> list[Registration]:
    regs = await turn.env.store.registrations_linked_to(turn.conv.key)
    return [r for r in regs if not r.erased]


async def find_registrations(turn: Turn) -> str:
    if isinstance(turn.conv.slots.get("ref"), str):
        return "one"
    mine = await _mine(turn)
    if not mine:
        turn.say("status.none")
        return "none"
    if len(mine) == 1:
        turn.conv.slots["ref"] = mine[0].ref
        return "one"
    return "many"


async def my_registrations(turn: Turn) -> Presentation:
    choices = [
        Choice(r.ref, Msg.of("status.item", ref=r.ref, status=Msg(f"status.{r.status}")))
        for r in await _mine(turn)
    ]
    return Presentation(choices=choices)


async def _current(turn: Turn) -> Registration | None:
    ref = turn.conv.slots.get("ref")
    return await turn.env.store.get_registration(ref) if isinstance(ref, str) else None


async def status_view(turn: Turn) -> Presentation:
    reg = await _current(turn)
    if reg is None:
        return Presentation(texts=[Msg("status.none")], choices=[Choice("done", Msg("choice.ok"))])
    hall = turn.env.hall(reg.hall)
    turn.conv.slots["hall"] = reg.hall
    texts = [_view(reg, hall)]
    if reg.status == RegistrationStatus.REJECTED and reg.reason:
        texts.append(Msg.of("status.reason", reason=reason_msg(reg.reason)))
    if reg.status == RegistrationStatus.APPROVED and reg.username:
        texts.append(Msg.of("status.approved_next", username=reg.username))
    if reg.status == RegistrationStatus.ACTIVE and reg.username:
        texts.append(Msg.of("status.active_next", username=reg.username))
    choices = [START] if reg.status == RegistrationStatus.APPROVED else []
    if reg.status == RegistrationStatus.SUBMITTED:
        choices.append(Choice("move", Msg("status.move")))
    if reg.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.CHECKED_IN):
        choices.append(Choice("cancel", Msg("status.cancel")))
    choices.append(Choice("done", Msg("choice.ok")))
    return Presentation(texts=texts, choices=choices, reference=reg.ref)


async def check_owner(turn: Turn) -> str:
    """The number typed (or shared) is the one in the registration: the change goes ahead."""
    slots = turn.conv.slots
    wants, typed = str(slots.pop(WANTS, "")), slots.pop(OWNER_PHONE, None)
    reg = await _current(turn)
    if reg is None or reg.erased:
        turn.say("status.none")
        return "refused"
    if may_change(turn) or (typed is not None and typed == reg.phone):
        grant_changes(turn, reg.ref)
        return wants if wants in ("move", "cancel") else "refused"
    tries = wrong_number(turn, reg.ref)
    if tries >= OWNER_TRIES:
        hall = turn.env.hall(reg.hall)
        turn.say("owner.refused", ref=reg.ref, hall=hall_label(hall) if hall else reg.hall)
        return "refused"
    slots[WANTS] = wants
    turn.say("owner.mismatch", left=str(OWNER_TRIES - tries))
    return "retry"


def _view(reg: Registration, hall: Hall | None) -> Msg:
    """The registration at a glance; a closed one (cancelled, rejected, expired) has no
    visit to speak of."""
    status, where = Msg(f"status.{reg.status}"), hall_label(hall) if hall else reg.hall
    if reg.status in CLOSED:
        return Msg.of("status.view_closed", ref=reg.ref, status=status, hall=where)
    visit: str | Msg = Msg("visit.walk_in")
    if reg.visit_at is not None and hall is not None:
        visit = when_label(reg.visit_at, hall)
    return Msg.of("status.view", ref=reg.ref, status=status, hall=where, visit=visit)


def reason_msg(reason: str) -> str | Msg:
    """Reasons from the officer's list are message keys; free text is shown as written."""
    return Msg(f"reject.{reason[7:]}") if reason.startswith("reason:") else reason


async def move_visit(turn: Turn) -> str:
    reg = await _current(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    if reg is None or hall is None:
        return "ok"
    visit = None if turn.conv.slots.get("visit_day") == WALK_IN else visit_of(turn)
    turn.unit.visit_changes.append(VisitChange(reg.ref, visit, hall.capacity))
    turn.unit.effects += reminder(reg.ref, visit, turn.env.clock())
    turn.unit.audit.append(AuditEntry("citizen", "move_visit", reg.ref))
    when: Msg = when_label(visit, hall) if visit else Msg("visit.walk_in")
    turn.say("status.moved", ref=reg.ref, visit=when)
    turn.on_refusal = _refused
    return "ok"


async def cancel_registration(turn: Turn) -> str:
    reg = await _current(turn)
    if reg is None:
        return "ok"
    if not lifecycle.is_legal(reg.status, RegistrationStatus.CANCELLED):
        turn.say("status.cannot_cancel", status=Msg(f"status.{reg.status}"))
        return "ok"
    turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.CANCELLED))
    turn.unit.audit.append(AuditEntry("citizen", "cancel", reg.ref))
    turn.say("status.cancel_done", ref=reg.ref)
    turn.on_refusal = _refused
    return "ok"


async def _refused(turn: Turn, refusal: StoreError) -> None:
    if isinstance(refusal, SlotFull):
        slot_taken(turn)
    elif isinstance(refusal, IllegalTransition):
        turn.conv.state = "show"
        turn.say("status.changed_meanwhile")


PARTS = Parts(
    providers={"my_registrations": my_registrations, "status_view": status_view},
    actions={
        "say_language_changed": say_language_changed,
        "find_registrations": find_registrations,
        "move_visit": move_visit,
        "cancel_registration": cancel_registration,
        "check_owner": check_owner,
    },
    predicates={"may_change": may_change},
)
