"""Become an eCitizen: the registration flow, as a table, and the parts it names."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.conversations.booking import (
    hall_label,
    slot_taken,
    visit_of,
    visit_steps,
    visit_text,
)
from flows.conversations.documents import (
    ID_CARD,
    PASSPORT,
    USE_ID_CARD,
    USE_PASSPORT,
    bring,
    document_of,
    number_label,
)
from flows.conversations.documents import SLOT as DOCUMENT
from flows.conversations.own_registrations import grant_changes
from flows.conversations.queueing import closed_until, is_due_now, issue_for, stands_in
from flows.conversations.slips import HallInfo, ReceiptSlip
from flows.domain.halls import Hall
from flows.domain.jmbg import MIN_AGE
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.phone import display as display_phone
from flows.domain.refcode import new_ref
from flows.engine.flow import END, Flow, Option, action, ask, choose, confirm, info
from flows.engine.messages import LANGUAGES, Choice, Expect, Msg
from flows.engine.ports import SlotFull, StoreError
from flows.engine.records import AuditEntry, Effect, Registration
from flows.engine.turn import ChatLinks, Parts, Presentation, Turn

LANGUAGE_OPTIONS = tuple(Option(code, f"language.{code}") for code in LANGUAGES)

# The steps in the order a citizen meets them. `on` maps an outcome to the next step.
REGISTRATION = Flow(
    name="registration",
    steps=(
        action("begin", "prefill_hall", on={"ok": "language"}),
        choose(
            "language",
            "_language",
            options=LANGUAGE_OPTIONS,
            on={"ok": "intro"},
            prompt="language.prompt",
            skip_when="language_chosen",
        ),
        info("intro", on={"ok": "consent"}),
        confirm("consent", on={"yes": "first_name", "no": "declined"}),
        action("declined", "say_declined", on={"ok": END}),
        ask("first_name", "first_name", "name", Expect.NAME, on={"ok": "last_name"}),
        ask("last_name", "last_name", "name", Expect.NAME, on={"ok": "jmbg"}),
        ask("jmbg", "jmbg", "jmbg", Expect.DIGITS, on={"ok": "id_number", "too_young": "underage"}),
        action("underage", "say_underage", on={"ok": END}),
        ask(
            "id_number",
            "id_number",
            "id_card_number",
            Expect.DIGITS,
            on={"ok": "phone", PASSPORT: "passport_number"},
            options=(USE_PASSPORT,),
        ),
        ask(
            "passport_number",
            "id_number",
            "passport_number",
            Expect.DIGITS,
            on={"ok": "phone", ID_CARD: "id_number"},
            options=(USE_ID_CARD,),
        ),
        ask("phone", "phone", "phone", Expect.PHONE, on={"ok": "email"}),
        ask("email", "email", "email", Expect.EMAIL, on={"ok": "hall"}, optional=True),
        choose(
            "hall",
            "hall",
            provider="halls",
            on={"ok": "visit_day"},
            clears=("visit_day", "visit"),
            skip_when="hall_known_here",
        ),
        *visit_steps(then="summary"),
        choose(
            "summary",
            None,
            provider="summary",
            on={
                "submit": "submit",
                "edit_first_name": "first_name",
                "edit_last_name": "last_name",
                "edit_jmbg": "jmbg",
                "edit_id_number": "id_number",
                "edit_passport_number": "passport_number",
                "edit_phone": "phone",
                "edit_email": "email",
                "edit_hall": "hall",
                "edit_visit": "visit_day",
            },
        ),
        action("submit", "submit_registration", on={"ok": END}),
    ),
    editable=(
        "first_name",
        "last_name",
        "jmbg",
        "id_number",
        "phone",
        "email",
        "hall",
        "visit",
    ),
)


async def summary(turn: Turn) -> Presentation:
    s = turn.conv.slots
    hall = turn.env.hall(s.get("hall"))
    body = Msg.of(
        "summary.body",
        first_name=str(s.get("first_name", "")),
        last_name=str(s.get("last_name", "")),
        jmbg=str(s.get("jmbg", "")),
        document=number_label(s.get(DOCUMENT)),
        id_number=str(s.get("id_number", "")),
        phone=display_phone(str(s.get("phone", ""))),
        email=str(s["email"]) if s.get("email") else Msg("summary.no_email"),
        hall=hall_label(hall) if hall else "",
        visit=visit_text(turn, hall) if hall else "",
    )
    choices = [Choice("submit", Msg("summary.submit"))]
    choices += [_change(f, s.get(DOCUMENT)) for f in REGISTRATION.editable]
    return Presentation(texts=[body], choices=choices)


def _change(field: str, document: object) -> Choice:
    """A summary button that goes back to one answer; the number of a passport is changed
    as a passport's (its own question, its own words), not as an ID card's."""
    if field == "id_number" and document_of(document) == PASSPORT:
        field = "passport_number"
    return Choice(f"edit_{field}", Msg(f"summary.edit_{field}"))


def reminder(ref: str, visit: datetime | None, now: datetime) -> list[Effect]:
    """The day-before reminder, when the visit is more than a day away."""
    if visit is None or visit - now <= timedelta(days=1):
        return []
    return [
        Effect(
            "remind",
            f"remind:{ref}:{visit.isoformat()}",
            {"ref": ref, "visit_at": visit.isoformat()},
            due_at=visit - timedelta(days=1),
        )
    ]


def new_registration(turn: Turn, hall: Hall) -> Registration:
    """The registration as the summary showed it, with a new reference code."""
    s, now = turn.conv.slots, turn.env.clock()
    return Registration(
        ref=new_ref(),
        status=RegistrationStatus.SUBMITTED,
        hall=hall.code,
        language=turn.language,
        first_name=str(s["first_name"]),
        last_name=str(s["last_name"]),
        jmbg=str(s["jmbg"]),
        id_number=str(s["id_number"]),
        document=document_of(s.get(DOCUMENT)),
        phone=str(s["phone"]),
        email=str(s["email"]) if s.get("email") else None,
        visit_at=visit_of(turn),
        created_at=now,
        updated_at=now,
    )


async def submit(turn: Turn) -> str:
    """Submitted; on a screen in the registration's own hall at the time of its visit (or
    without one), checked in at once, with a queue ticket."""
    hall = turn.env.hall(turn.conv.slots.get("hall"))
    assert hall is not None  # the summary is reached only with a hall chosen
    reg, unit = new_registration(turn, hall), turn.unit
    unit.new_registration, unit.capacity = reg, hall.capacity
    here_due = stands_in(turn, hall) and is_due_now(turn, reg.visit_at)
    opens = closed_until(turn, hall) if here_due else None
    here_now = here_due and opens is None
    if here_now:
        reg.status = RegistrationStatus.CHECKED_IN
    if turn.traits.reachable_later:  # its news come to this conversation
        unit.links.append((reg.ref, turn.conv.key))
        grant_changes(turn, reg.ref)  # the chat that made it may move or cancel it
    unit.effects += reminder(reg.ref, reg.visit_at, reg.created_at)
    links = turn.env.chat_links(reg.ref)
    print_receipt(turn, reg, hall, links)
    unit.audit.append(AuditEntry(actor="citizen", action="submit", ref=reg.ref))
    ticket = await _check_in(turn, hall, reg) if here_now else None
    turn.shown = Presentation(
        reference=reg.ref, qr=links.first, ticket=ticket, extras=links.extras()
    )
    _say_submitted(turn, reg, hall, links)
    if opens is not None:  # registered on the hall's screen while it is closed
        turn.say("reg.hall_closed", ref=reg.ref, opens=opens)
    turn.on_refusal = _slot_taken
    return "ok"


def print_receipt(turn: Turn, reg: Registration, hall: Hall, links: ChatLinks) -> None:
    """On a screen in a hall, the receipt comes out of the printer beside it (and tells
    of the hall of the visit, which may be another one)."""
    here = turn.hall_here()
    if here is None:
        return
    payload = ReceiptSlip(
        language=turn.language,
        hall=HallInfo.of(hall),
        ref=reg.ref,
        visit_at=reg.visit_at,
        issued_at=reg.created_at,
        deep_link=links.first,
        viber_link=links.also_viber,
        document=reg.document,
    ).payload()
    turn.unit.print_jobs.append((f"receipt:{reg.ref}", here.printer, "receipt", payload))


async def _check_in(turn: Turn, hall: Hall, reg: Registration) -> str:
    """Checked in on registering: with a visit now, ahead of the walk-ins."""
    priority = 0 if reg.visit_at is not None else 1
    ticket = await issue_for(turn, hall, priority, reg)
    turn.unit.audit.append(AuditEntry(actor="citizen", action="check_in", ref=reg.ref))
    return ticket


def _say_submitted(turn: Turn, reg: Registration, hall: Hall, links: ChatLinks) -> None:
    turn.say(
        "reg.done",
        ref=reg.ref,
        hall=hall_label(hall),
        address=hall.address,
        visit=visit_text(turn, hall),
    )
    turn.say(bring(reg.document))
    if links.first is None and turn.traits.reachable_later:
        turn.say("reg.follow_here")


async def prefill_hall(turn: Turn) -> str:
    """On a screen in a hall, the hall is the one it stands in: no need to ask."""
    hall = turn.hall_here()
    if hall is not None:
        turn.conv.slots["hall"] = hall.code
    return "ok"


async def _slot_taken(turn: Turn, refusal: StoreError) -> None:
    """The last place in the chosen slot went to someone else meanwhile."""
    if isinstance(refusal, SlotFull):
        slot_taken(turn)


async def say_declined(turn: Turn) -> str:
    turn.say("reg.declined")
    return "ok"


async def say_underage(turn: Turn) -> str:
    turn.say("reg.underage", age=str(MIN_AGE))
    return "ok"


PARTS = Parts(
    providers={"summary": summary},
    predicates={
        # on a screen in a hall, unless the citizen asked from the summary to change it
        "hall_known_here": lambda turn: (
            turn.hall_here() is not None
            and bool(turn.conv.slots.get("hall"))
            and "_return" not in turn.conv.slots
        ),
    },
    actions={
        "submit_registration": submit,
        "prefill_hall": prefill_hall,
        "say_declined": say_declined,
        "say_underage": say_underage,
    },
)
