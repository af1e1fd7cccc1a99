"""In the hall: take a queue ticket, or check in for a booked visit (on a screen there).

Appointment holders who check in within their slot (give or take the tolerance) get
priority 0 and are called before walk-ins (priority 1).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.conversations.booking import hall_label, when_label
from flows.conversations.slips import HallInfo, TicketSlip
from flows.domain import lifecycle
from flows.domain.halls import Hall
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.flow import END, Flow, action, ask, choose
from flows.engine.messages import Choice, Expect, Msg
from flows.engine.notify import InDoubt, hall_changed, notify_officers
from flows.engine.ports import IllegalTransition, StoreError
from flows.engine.records import (
    AuditEntry,
    NewTicket,
    Registration,
    Ticket,
    TicketStatus,
    Transition,
)
from flows.engine.turn import ChatLinks, Parts, Presentation, Turn

# The wait estimate: until the hall has served enough people today to show its own pace, a
# visit takes DEFAULT_SERVICE_MIN; and none takes less than MIN_SERVICE_MIN on average (a few
# quick "served" taps are no pace). An estimate under FEW_MINUTES is said as "a few minutes".
DEFAULT_SERVICE_MIN = 10.0
MIN_SERVICE_MIN = 3.0
TRUSTED_AFTER = 5  # served tickets today
PACE_OF_LAST = 10  # the pace is that of the last ones served
FEW_MINUTES = 5

TICKET = Flow(
    name="ticket",
    steps=(
        choose("service", "service", provider="services", on={"ok": "issue"}),
        action("issue", "issue_ticket", on={"ok": END}),
    ),
)

CHECKIN = Flow(
    name="checkin",
    steps=(
        ask("checkin_code", "ref", "ref", Expect.CODE, on={"ok": "check_in"}),
        action("check_in", "check_in", on={"ok": END, "retry": "checkin_code"}),
    ),
)


def stands_in(turn: Turn, hall: Hall) -> bool:
    """The conversation is on a screen in this very hall."""
    here = turn.hall_here()
    return here is not None and here.code == hall.code


def is_due_now(turn: Turn, visit: datetime | None) -> bool:
    """Without an appointment, or with one now: the citizen is in the hall to be served."""
    return visit is None or _in_slot(
        visit, turn.env.clock(), turn.env.settings.checkin_tolerance_min
    )


def closed_until(turn: Turn, hall: Hall) -> Msg | None:
    """When a closed hall opens again (no ticket now: nobody would call it), or None: open."""
    now = turn.env.clock()
    if hall.is_open(now):
        return None
    opens = hall.next_opening(now)
    return when_label(opens, hall) if opens is not None else Msg("hall.opens_unknown")


async def issue_for(turn: Turn, hall: Hall, priority: int, reg: Registration) -> str:
    """A ticket for the registration service, for someone registering on the hall's
    screen; its label (a placeholder until the unit commits)."""
    label = await _issue(turn, hall, hall.services[0].prefix, priority, reg)
    await notify_officers(
        turn,
        hall.code,
        [Msg.of("notify.checked_in", ref=reg.ref, ticket=label)],
        f"checkin:{reg.ref}",
        # the officers' queue lists the arrival; a second notice would read as a second one
        in_doubt=InDoubt.DROP,
    )
    return label


async def services(turn: Turn) -> Presentation:
    hall = turn.hall_here()
    names = hall.services if hall else ()
    return Presentation(choices=[Choice(s.prefix, Msg(s.name_key)) for s in names])


def _wait_minutes(tickets: list[Ticket], ahead: int, counters: int) -> int:
    served = sorted(
        (t.finished_at, (t.finished_at - t.called_at).total_seconds() / 60)
        for t in tickets
        if t.status == TicketStatus.SERVED and t.finished_at and t.called_at
    )
    done = [minutes for _, minutes in served]
    recent = done[-PACE_OF_LAST:]
    per_person = sum(recent) / len(recent) if len(done) >= TRUSTED_AFTER else DEFAULT_SERVICE_MIN
    return round(ahead * max(per_person, MIN_SERVICE_MIN) / max(1, counters))


def wait_estimate(tickets: list[Ticket], ahead: int, counters: int) -> Msg:
    """What to say of the wait: "about 20 min", or honestly "a few minutes"."""
    minutes = _wait_minutes(tickets, ahead, counters)
    if minutes < FEW_MINUTES:
        return Msg("ticket.wait_few")
    return Msg.of("ticket.wait_about", minutes=str(minutes))


async def _issue(
    turn: Turn, hall: Hall, service: str, priority: int, reg: Registration | None
) -> str:
    """Adds the ticket to the unit; returns what stands for its label in what is said."""
    store, now = turn.env.store, turn.env.clock()
    day = hall.local_day(now)
    chat = None
    if reg is not None:
        chat = next(iter(await store.links_of(reg.ref)), None)
    label = turn.unit.issue(
        NewTicket(hall.code, day, service, priority, now, ref=reg.ref if reg else None, notify=chat)
    )
    tickets = await store.tickets(hall.code, day)
    # every waiting ticket was issued before this one: ahead of it unless of a later rank
    ahead = sum(1 for t in tickets if t.status == TicketStatus.WAITING and t.priority <= priority)
    wait = wait_estimate(tickets, ahead, len(hall.counters))
    links = turn.env.chat_links(reg.ref) if reg else ChatLinks()
    turn.unit.effects.append(hall_changed(hall.code))
    service_key = next((x.name_key for x in hall.services if x.prefix == service), "")
    turn.unit.print_jobs.append(
        (
            f"ticket:{hall.code}:{day.isoformat()}:{label}",
            hall.printer,
            "ticket",
            TicketSlip(
                language=turn.language,
                hall=HallInfo.of(hall),
                ticket=label,
                service_key=service_key,
                issued_at=now,
                ahead=ahead,
                deep_link=links.first,
                viber_link=links.also_viber,
            ).payload(),
        )
    )
    if ahead:
        turn.say("ticket.issued", ticket=label, ahead=str(ahead), wait=wait)
    else:  # not "ahead of you: 0"
        turn.say("ticket.issued_first", ticket=label, wait=wait)
    turn.shown = Presentation(
        ticket=label,
        reference=reg.ref if reg else None,
        qr=links.first,
        extras=links.extras(),
    )
    return label


async def issue_ticket(turn: Turn) -> str:
    hall = turn.hall_here()
    service = turn.conv.slots.get("service")
    if hall is None or not isinstance(service, str):
        return "ok"
    if (opens := closed_until(turn, hall)) is not None:
        turn.say("ticket.hall_closed", opens=opens)
        return "ok"
    await _issue(turn, hall, service, 1, None)
    turn.say("ticket.print")
    return "ok"


def _in_slot(visit: datetime | None, now: datetime, tolerance: int) -> bool:
    if visit is None:
        return False
    return visit - timedelta(minutes=tolerance) <= now <= visit + timedelta(minutes=tolerance)


async def check_in(turn: Turn) -> str:
    hall = turn.hall_here()
    ref = str(turn.conv.slots.get("ref", ""))
    reg = await turn.env.store.get_registration(ref)
    if hall is None or reg is None or reg.erased:
        turn.say("checkin.unknown", ref=ref)
        turn.conv.slots.pop("ref", None)
        return "retry"
    if reg.hall != hall.code:
        other = turn.env.hall(reg.hall)
        turn.say("checkin.other_hall", ref=reg.ref, hall=hall_label(other) if other else reg.hall)
        return "ok"
    if (
        not lifecycle.is_legal(reg.status, RegistrationStatus.CHECKED_IN)
        or reg.status != RegistrationStatus.SUBMITTED
    ):
        turn.say("checkin.not_open", ref=reg.ref, status=Msg(f"status.{reg.status}"))
        return "ok"
    if (opens := closed_until(turn, hall)) is not None:
        turn.say("checkin.hall_closed", ref=reg.ref, opens=opens)
        return "ok"
    now = turn.env.clock()
    priority = 0 if _in_slot(reg.visit_at, now, turn.env.settings.checkin_tolerance_min) else 1
    turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.CHECKED_IN))
    turn.unit.audit.append(AuditEntry("citizen", "check_in", reg.ref))
    turn.say("checkin.done", ref=reg.ref)
    if priority == 1 and reg.visit_at is not None:
        turn.say("checkin.outside_slot")
    await issue_for(turn, hall, priority, reg)
    turn.on_refusal = _already
    return "ok"


async def _already(turn: Turn, refusal: StoreError) -> None:
    if isinstance(refusal, IllegalTransition):
        turn.say(
            "checkin.not_open",
            ref=refusal.ref,
            status=Msg(f"status.{refusal.current.status if refusal.current else 'unknown'}"),
        )


PARTS = Parts(
    providers={"services": services},
    actions={"issue_ticket": issue_ticket, "check_in": check_in},
)
