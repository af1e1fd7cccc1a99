"""Still stuck setting up ConsentID: the officer, a help visit, or the hall's contact.

A person in the hall (on its screen, or approved there today while it is open) can ask the
officer: the officer who approved them, at their counter, is told the step and the problem
(or, when that officer is not at a counter, every officer of the hall). Anyone else can
book a help visit in one of the hall's visit slots, or is told how to reach the hall.
"""

from __future__ import annotations

from flows.conversations.activation import current_step, registration_of, step_msg, step_number
from flows.conversations.booking import WALK_IN, hall_label, slot_taken, visit_of, when_label
from flows.conversations.queueing import stands_in
from flows.domain.halls import Hall
from flows.engine.messages import Choice, Msg
from flows.engine.notify import InDoubt, notify_officers, officer_notices, reachable
from flows.engine.ports import SlotFull, StoreError
from flows.engine.records import AuditEntry, HelpVisit, Registration
from flows.engine.turn import Parts, Presentation, Turn


def in_hall(turn: Turn, reg: Registration, hall: Hall) -> bool:
    """On a screen in the hall, or approved there today and the hall is open now."""
    if stands_in(turn, hall):
        return True
    now = turn.env.clock()
    return hall.local_day(reg.updated_at) == hall.local_day(now) and hall.is_open(now)


async def help_options(turn: Turn) -> Presentation:
    reg = await registration_of(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    choices = []
    if reg is not None and hall is not None and in_hall(turn, reg, hall):
        choices.append(Choice("ask_officer", Msg("activation.help.ask_officer")))
    choices += [
        Choice("visit", Msg("activation.help.visit")),
        Choice("contact", Msg("activation.help.contact")),
        Choice("retry", Msg("activation.retry")),
    ]
    return Presentation(choices=choices)


async def ask_officer(turn: Turn) -> str:
    """The officer learns who, where in the steps, and what does not work."""
    reg = await registration_of(turn)
    if reg is None:
        return "ok"
    step = current_step(turn)
    problem = turn.conv.slots.get("problem")
    where = "screen" if turn.traits.shared_screen else "chat"
    texts = [
        Msg.of(
            "activation.officer_asked",
            ref=reg.ref,
            name=f"{reg.first_name} {reg.last_name}",
            where=Msg(f"activation.where.{where}"),
            position=step_msg(step, problem if isinstance(problem, str) else None),
        )
    ]
    idem = f"activation-help:{reg.ref}:{step_number(step)}:{turn.inbound.message_id or ''}"
    officer = await turn.env.store.officer(reg.officer_id) if reg.officer_id else None
    if officer and officer.counter and reachable(officer):
        turn.unit.effects += await officer_notices(
            turn.env.store, [officer], texts, idem, in_doubt=InDoubt.RESEND
        )
        turn.say("activation.officer_told", name=officer.name, counter=officer.counter)
    else:
        # someone is waiting for help: a repeat is better than nobody coming
        await notify_officers(turn, reg.hall, texts, idem, in_doubt=InDoubt.RESEND)
        turn.say("activation.officers_told")
    detail = f"{step}:{problem}" if isinstance(problem, str) else step
    turn.unit.audit.append(AuditEntry("citizen", "activation_ask_officer", reg.ref, detail))
    return "ok"


async def book_visit(turn: Turn) -> str:
    reg = await registration_of(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    if reg is None or hall is None:
        return "ok"
    if turn.conv.slots.get("visit_day") == WALK_IN:
        turn.say(
            "activation.visit_walk_in",
            hall=hall_label(hall),
            address=hall.address,
            hours=hours_text(hall),
        )
        return "ok"
    visit = visit_of(turn)
    if visit is None:
        return "ok"
    turn.unit.help_visits.append(HelpVisit(reg.ref, hall.code, visit, hall.capacity))
    turn.unit.audit.append(AuditEntry("citizen", "activation_help_visit", reg.ref))
    turn.say(
        "activation.visit_booked",
        when=when_label(visit, hall),
        hall=hall_label(hall),
        address=hall.address,
    )
    turn.on_refusal = _slot_taken
    return "ok"


async def _slot_taken(turn: Turn, refusal: StoreError) -> None:
    if isinstance(refusal, SlotFull):
        slot_taken(turn)


async def contact(turn: Turn) -> str:
    reg = await registration_of(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    if hall is not None:
        key = "activation.contact_phone" if hall.phone else "activation.contact"
        turn.say(
            key,
            hall=hall_label(hall),
            address=hall.address,
            hours=hours_text(hall),
            phone=hall.phone,
        )
    return "ok"


def hours_text(hall: Hall) -> Msg:
    """Opening hours, days with the same hours joined: "Monday – Friday 08:00–16:00"."""
    spans: list[tuple[int, int, str]] = []
    for day in range(7):
        opening = hall.hours.get(day)
        if opening is None:
            continue
        hours = f"{opening[0]:%H:%M}–{opening[1]:%H:%M}"
        if spans and spans[-1][1] == day - 1 and spans[-1][2] == hours:
            spans[-1] = (spans[-1][0], day, hours)
        else:
            spans.append((day, day, hours))
    parts = [
        Msg.of(
            "activation.hours.days", first=Msg(f"weekday.{a}"), last=Msg(f"weekday.{b}"), hours=h
        )
        if a != b
        else Msg.of("activation.hours.day", day=Msg(f"weekday.{a}"), hours=h)
        for a, b, h in spans
    ]
    return _joined(parts)


def _joined(parts: list[Msg]) -> Msg:
    if not parts:
        return Msg("activation.hours.none")
    joined = parts[0]
    for part in parts[1:]:
        joined = Msg.of("activation.hours.and", first=joined, then=part)
    return joined


PARTS = Parts(
    providers={"activation_help": help_options},
    actions={
        "activation_ask_officer": ask_officer,
        "activation_book_visit": book_visit,
        "activation_contact": contact,
    },
)
