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
from flows.conversations.menu import KIOSK
from flows.conversations.queueing import at_kiosk_of, is_due_now, issue_for, kiosk_hall
from flows.conversations.slips import HallInfo, receipt_payload
from flows.domain.jmbg import MIN_AGE
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.phone import display as display_phone
from flows.domain.refcode import new_ref
from flows.engine.flow import END, Flow, Option, action, ask, choose, confirm, info
from flows.engine.messages import LANGUAGES, Choice, Expect, Msg
from flows.engine.ports import SlotFull, StoreError
from flows.engine.records import AuditEntry, Effect, Registration
from flows.engine.turn import Parts, Presentation, Turn

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
            skip_when="kiosk_hall_known",
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
    choices += [Choice(f"edit_{f}", Msg(f"summary.edit_{f}")) for f in REGISTRATION.editable]
    return Presentation(texts=[body], choices=choices)


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


async def submit(turn: Turn) -> str:
    s, env, unit = turn.conv.slots, turn.env, turn.unit
    hall = env.hall(s.get("hall"))
    assert hall is not None  # the summary is reached only with a hall chosen
    now = env.clock()
    ref = new_ref()
    visit = visit_of(turn)
    unit.new_registration = Registration(
        ref=ref,
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
        visit_at=visit,
        created_at=now,
        updated_at=now,
    )
    unit.capacity = hall.capacity
    here_now = at_kiosk_of(turn, hall) and is_due_now(turn, visit)
    if here_now:
        # registered at the hall's own kiosk for now: checked in, with a queue ticket
        unit.new_registration.status = RegistrationStatus.CHECKED_IN
    if turn.conv.key.channel != KIOSK:
        unit.links.append((ref, turn.conv.key))
    unit.effects += reminder(ref, visit, now)
    links = env.chat_links(ref)
    link = links.first
    if turn.conv.key.channel == KIOSK:
        unit.print_jobs.append(
            (
                f"receipt:{ref}",
                hall.printer,
                "receipt",
                receipt_payload(
                    language=turn.language,
                    hall=HallInfo.of(hall),
                    ref=ref,
                    visit_at=visit,
                    issued_at=now,
                    deep_link=link,
                    viber_link=links.also_viber,
                    document=unit.new_registration.document,
                ),
            )
        )
    unit.audit.append(AuditEntry(actor="citizen", action="submit", ref=ref))
    if here_now:
        priority = 0 if visit is not None else 1
        label = await issue_for(turn, hall, priority, unit.new_registration)
        unit.audit.append(AuditEntry(actor="citizen", action="check_in", ref=ref))
        turn.shown = Presentation(reference=ref, qr=link, ticket=label, extras=links.extras())
    turn.say(
        "reg.done",
        ref=ref,
        hall=hall_label(hall),
        address=hall.address,
        visit=visit_text(turn, hall),
    )
    turn.say(bring(unit.new_registration.document))
    if link is None and turn.conv.key.channel != KIOSK:
        turn.say("reg.follow_here")
    if not here_now:
        turn.shown = Presentation(reference=ref, qr=link, extras=links.extras())
    turn.on_refusal = _slot_taken
    return "ok"


async def prefill_hall(turn: Turn) -> str:
    """At a kiosk the hall is the one the kiosk stands in: no need to ask."""
    hall = kiosk_hall(turn)
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
        # at the kiosk, unless the citizen asked from the summary to change the hall
        "kiosk_hall_known": lambda turn: (
            turn.conv.key.channel == KIOSK
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
