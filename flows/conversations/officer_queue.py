"""Officers working the queue from the chat: call next, recall, served, no-show, transfer."""

from __future__ import annotations

from dataclasses import replace

from flows.engine.flow import Step, action, choose, info
from flows.engine.messages import Choice, Msg
from flows.engine.notify import InDoubt, hall_changed, notify
from flows.engine.ports import StoreError, TicketChanged
from flows.engine.records import AuditEntry, CounterChange, Ticket, TicketChange, TicketStatus
from flows.engine.turn import Parts, Presentation, Turn

QUEUE_STEPS: tuple[Step, ...] = (
    action(
        "call_next",
        "call_next_ticket",
        on={"ok": "ticket", "empty": "home", "no_counter": "counter"},
    ),
    choose(
        "ticket",
        None,
        provider="ticket_view",
        on={
            "recall": "recall",
            "served": "served",
            "no_show": "no_show",
            "transfer": "transfer",
            "open_ticket": "open_ticket",
            "home": "home",
        },
    ),
    action("recall", "recall_ticket", on={"ok": "ticket", "home": "home"}),
    action("served", "ticket_served", on={"ok": "home"}),
    action("no_show", "ticket_no_show", on={"ok": "home"}),
    choose("transfer", "to_counter", provider="other_counters", on={"ok": "transfer_do"}),
    action("transfer_do", "transfer_ticket", on={"ok": "home"}),
    action("open_ticket", "open_ticket_registration", on={"ok": "claim", "none": "ticket"}),
    info("queue", provider="queue_view", prompt="", on={"ok": "home"}),
    choose("counter", "counter_pick", provider="counters", on={"ok": "set_counter"}),
    action("set_counter", "set_counter", on={"ok": "home"}),
)


def _tell(turn: Turn, ticket: Ticket, key: str, texts: list[Msg]) -> None:
    if ticket.notify is not None:
        # a ticket called, recalled or sent to another counter: not to be missed
        turn.unit.effects.append(
            notify(ticket.notify, turn.language, texts, key, in_doubt=InDoubt.RESEND)
        )


def _hold(turn: Turn, ticket: Ticket) -> None:
    """The ticket this officer works on, as they last saw it: their next action on it is
    applied only if nobody changed it since."""
    turn.conv.slots["ticket_id"] = ticket.id
    turn.conv.slots["ticket_version"] = ticket.version


def _drop(turn: Turn) -> None:
    turn.conv.slots.pop("ticket_id", None)
    turn.conv.slots.pop("ticket_version", None)


async def _ticket(turn: Turn) -> Ticket | None:
    """The held ticket as this turn leaves it: a change the turn made (called it, to this
    counter) is not in the store before the unit commits, so it is taken from the unit."""
    tid = turn.conv.slots.get("ticket_id")
    if not isinstance(tid, int):
        return None
    changed = [c.ticket for c in turn.unit.ticket_changes if c.ticket.id == tid]
    if changed:  # applied at the version read; it will be one more
        return replace(changed[-1], version=changed[-1].version + 1)
    return await turn.env.store.get_ticket(tid)


async def _held(turn: Turn) -> Ticket | None:
    """The held ticket if it is still as the officer saw it; otherwise they are told what
    became of it (and the change that stands is the other one)."""
    ticket = await _ticket(turn)
    if ticket is not None and ticket.version == turn.conv.slots.get("ticket_version"):
        return ticket
    _drop(turn)
    if ticket is not None:
        _say_changed(turn, ticket)
    return None


def _say_changed(turn: Turn, ticket: Ticket) -> None:
    turn.say(f"queue.changed.{ticket.status}", ticket=ticket.label, counter=ticket.counter or "")


async def _lost_to_colleague(turn: Turn, refusal: StoreError) -> None:
    """Another officer changed the ticket between our read and our write."""
    turn.conv.state = "home"
    _drop(turn)
    if isinstance(refusal, TicketChanged) and refusal.current is not None:
        _say_changed(turn, refusal.current)


def _change(turn: Turn, ticket: Ticket) -> None:
    turn.unit.ticket_changes.append(TicketChange(ticket))
    turn.unit.effects.append(hall_changed(ticket.hall))
    turn.on_refusal = _lost_to_colleague


async def call_next(turn: Turn) -> str:
    officer = await turn.load_officer()
    hall = turn.env.hall(officer.hall if officer else None)
    if officer is None or hall is None:
        return "empty"
    if not officer.counter:
        turn.say("queue.no_counter")
        return "no_counter"
    now = turn.env.clock()
    day = hall.local_day(now)
    waiting = sorted(
        (
            t
            for t in await turn.env.store.tickets(hall.code, day)
            if t.status == TicketStatus.WAITING
        ),
        key=lambda t: (t.priority, t.issued_at, t.id),
    )
    if not waiting:
        turn.say("queue.empty")
        return "empty"
    first = waiting[0]
    ticket = replace(
        first,
        status=TicketStatus.CALLED,
        counter=officer.counter,
        officer_id=officer.id,
        called_at=now,
    )
    # a colleague who called the same ticket first wins: this turn then runs again and
    # calls the next one
    turn.unit.ticket_changes.append(TicketChange(ticket, rerun=True))
    turn.unit.effects.append(hall_changed(hall.code))
    _hold(turn, replace(ticket, version=first.version + 1))
    turn.unit.audit.append(
        AuditEntry(f"officer:{officer.id}", "call", ticket.ref, detail=ticket.label)
    )
    _tell(
        turn,
        ticket,
        f"called:{ticket.id}",
        [Msg.of("notify.called", ticket=ticket.label, counter=officer.counter)],
    )
    places = turn.env.settings.notify_places_ahead
    if len(waiting) > places:
        soon = waiting[places]
        _tell(
            turn,
            soon,
            f"soon:{soon.id}",
            [Msg.of("notify.soon", ticket=soon.label, places=str(places))],
        )
    turn.say("queue.called", ticket=ticket.label, counter=officer.counter)
    return "ok"


async def ticket_view(turn: Turn) -> Presentation:
    ticket = await _ticket(turn)
    if ticket is None:
        return Presentation(choices=[Choice("home", Msg("officer.back_home"))])
    ids = ["recall", "served", "no_show", "transfer"]
    if ticket.ref:
        ids.append("open_ticket")
    choices = [Choice(i, Msg(f"queue.{i}")) for i in ids]
    choices.append(Choice("home", Msg("officer.back_home")))
    texts = [Msg.of("queue.current", ticket=ticket.label, counter=ticket.counter or "")]
    return Presentation(texts=texts, choices=choices, ticket=ticket.label)


async def _finish(turn: Turn, status: TicketStatus, say: str) -> str:
    ticket = await _held(turn)
    if ticket is not None:
        _change(turn, replace(ticket, status=status, finished_at=turn.env.clock()))
        turn.say(say, ticket=ticket.label)
    _drop(turn)
    return "ok"


async def served(turn: Turn) -> str:
    return await _finish(turn, TicketStatus.SERVED, "queue.served_done")


async def no_show(turn: Turn) -> str:
    return await _finish(turn, TicketStatus.NO_SHOW, "queue.no_show_done")


async def recall(turn: Turn) -> str:
    ticket = await _held(turn)
    if ticket is None:
        return "home"
    now = turn.env.clock()
    _change(turn, replace(ticket, called_at=now))
    _hold(turn, replace(ticket, version=ticket.version + 1))
    _tell(
        turn,
        ticket,
        f"recall:{ticket.id}:{now.timestamp():.0f}",
        [Msg.of("notify.called", ticket=ticket.label, counter=ticket.counter or "")],
    )
    turn.say("queue.recalled", ticket=ticket.label)
    return "ok"


async def counters(turn: Turn) -> Presentation:
    officer = await turn.load_officer()
    hall = turn.env.hall(officer.hall if officer else None)
    names = hall.counters if hall else ()
    return Presentation(choices=[Choice(c, Msg.of("queue.counter", counter=c)) for c in names])


async def other_counters(turn: Turn) -> Presentation:
    officer = await turn.load_officer()
    shown = await counters(turn)
    mine = officer.counter if officer else None
    return Presentation(choices=[c for c in shown.choices if c.id != mine])


async def transfer(turn: Turn) -> str:
    target = turn.conv.slots.pop("to_counter", None)
    ticket = await _held(turn)
    if ticket is not None and isinstance(target, str):
        _change(turn, replace(ticket, counter=target, officer_id=None))
        _tell(
            turn,
            ticket,
            f"transfer:{ticket.id}:{target}",
            [Msg.of("notify.called", ticket=ticket.label, counter=target)],
        )
        turn.say("queue.transferred", ticket=ticket.label, counter=target)
    _drop(turn)
    return "ok"


async def open_ticket(turn: Turn) -> str:
    ticket = await _ticket(turn)
    if ticket is None or not ticket.ref:
        return "none"
    turn.conv.slots["ref"] = ticket.ref
    return "ok"


async def queue_view(turn: Turn) -> Presentation:
    officer = await turn.load_officer()
    hall = turn.env.hall(officer.hall if officer else None)
    if hall is None:
        return Presentation()
    tickets = await turn.env.store.tickets(hall.code, hall.local_day(turn.env.clock()))
    texts = []
    for service in hall.services:
        waiting = sum(
            1 for t in tickets if t.service == service.prefix and t.status == TicketStatus.WAITING
        )
        texts.append(Msg.of("queue.waiting", service=Msg(service.name_key), count=str(waiting)))
    return Presentation(texts=texts)


async def set_counter(turn: Turn) -> str:
    officer = await turn.load_officer()
    counter = turn.conv.slots.pop("counter_pick", None)
    if officer is not None and isinstance(counter, str):
        turn.unit.counter_changes.append(CounterChange(officer.id, counter))
        officer.counter = counter
        turn.say("queue.counter_set", counter=counter)
    return "ok"


PARTS = Parts(
    providers={
        "ticket_view": ticket_view,
        "counters": counters,
        "other_counters": other_counters,
        "queue_view": queue_view,
    },
    actions={
        "call_next_ticket": call_next,
        "recall_ticket": recall,
        "ticket_served": served,
        "ticket_no_show": no_show,
        "transfer_ticket": transfer,
        "open_ticket_registration": open_ticket,
        "set_counter": set_counter,
    },
)
