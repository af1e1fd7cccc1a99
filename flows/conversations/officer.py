"""Officers in the chat: their workspace, and reviewing registrations (enrollment with a
one-time code: flows/conversations/enrollment.py; supervisors:
flows/conversations/officer_supervisor.py).

Claiming a registration moves it to in_review for this officer only; the store refuses a
second claim, so two officers never decide the same registration. Only the officer holding
a registration is shown its JMBG and ID card number, and each showing is audited (who saw
which registration, when). A revoked officer's next message is told so by the engine.
"""

from __future__ import annotations

from dataclasses import replace

from flows.conversations.activation import START, reminder_effect
from flows.conversations.booking import when_label
from flows.conversations.citizen import reason_msg
from flows.conversations.documents import SLOT as DOCUMENT
from flows.conversations.documents import compare_with, number_label
from flows.conversations.enrollment import invite_hash, new_invite_code
from flows.conversations.officer_activation import ACTIVATION_STEPS
from flows.conversations.officer_printing import PRINT_STEPS
from flows.conversations.officer_queue import QUEUE_STEPS
from flows.conversations.officer_supervisor import SUPERVISOR_STEPS
from flows.conversations.slips import CredentialsSlip, HallInfo
from flows.domain.halls import Hall
from flows.domain.jmbg import UNKNOWN_REGION, Jmbg, parse_jmbg
from flows.domain.lifecycle import RegistrationStatus
from flows.domain.phone import display as display_phone
from flows.engine.flow import END, Flow, Option, action, ask, choose, confirm
from flows.engine.messages import Choice, Expect, Msg
from flows.engine.notify import hall_changed, notify_citizen
from flows.engine.ports import IllegalTransition, StoreError
from flows.engine.records import (
    AuditEntry,
    NewAccount,
    Officer,
    Registration,
    TicketChange,
    TicketStatus,
    Transition,
)
from flows.engine.turn import Parts, Presentation, Turn

__all__ = ["OFFICER", "PARTS", "REASONS", "invite_hash", "new_invite_code"]

REASONS = ("id_mismatch", "data_wrong", "underage", "not_present", "other")
HOME = (
    "waiting",
    "open",
    "call_next",
    "queue",
    "counter",
    "activations",
    "printers",
    "held",
    "leave",
)
SUPERVISORS_ONLY = frozenset({"held"})
# What the access log says an officer was shown (never the values themselves).
SHOWN = "jmbg, id_number"


OFFICER = Flow(
    name="officer",
    steps=(
        choose(
            "home",
            None,
            provider="officer_home",
            on={o: END if o == "leave" else o for o in HOME},
            prompt="officer.home",
        ),
        choose("waiting", "ref", provider="waiting_list", on={"ok": "claim", "home": "home"}),
        ask("open", "ref", "ref", Expect.CODE, on={"ok": "claim"}),
        action("claim", "claim_registration", on={"ok": "review", "refused": "home"}),
        choose(
            "review",
            None,
            provider="review_view",
            on={
                "approve": "check_id",
                "reject": "reject_reason",
                "release": "release",
                "home": "home",
            },
        ),
        # compared with the document the person brought: the ID card, or the passport
        confirm(
            "check_id",
            on={"yes": "approve", "no": "review", "ok": "check_passport"},
            skip_when="brings_passport",
        ),
        confirm("check_passport", on={"yes": "approve", "no": "review"}),
        action("approve", "approve_registration", on={"ok": "home", "refused": "home"}),
        choose(
            "reject_reason",
            "reason",
            options=tuple(Option(r, f"reject.{r}") for r in REASONS),
            on={"ok": "reject", "other": "reject_text"},
        ),
        ask("reject_text", "reason_text", "text", on={"ok": "reject"}, max_len=300),
        action("reject", "reject_registration", on={"ok": "home", "refused": "home"}),
        action("release", "release_registration", on={"ok": "home"}),
        *QUEUE_STEPS,
        *PRINT_STEPS,
        *SUPERVISOR_STEPS,
        *ACTIVATION_STEPS,
    ),
)


async def officer_home(turn: Turn) -> Presentation:
    """What an officer can do; a supervisor also sees who holds what."""
    officer = await turn.load_officer()
    supervisor = officer is not None and officer.supervisor
    return Presentation(
        choices=[
            Choice(o, Msg(f"officer.{o}")) for o in HOME if supervisor or o not in SUPERVISORS_ONLY
        ]
    )


def _visit_first(turn: Turn, regs: list[Registration]) -> list[Registration]:
    """Today's visits first (by time), then the rest oldest first."""
    today = turn.env.clock().date()

    def order(r: Registration) -> tuple[int, str]:
        if r.visit_at is not None and r.visit_at.date() == today:
            return (0, r.visit_at.isoformat())
        return (1, r.created_at.isoformat())

    return sorted(regs, key=order)


def officer_status(status: RegistrationStatus) -> Msg:
    """A registration's status as an officer says it ("not arrived yet"), not as the
    citizen is told it ("waiting for your visit")."""
    return Msg(f"officer.status.{status}")


def _when(reg: Registration, hall: Hall | None) -> Msg:
    if reg.visit_at is not None and hall is not None:
        return when_label(reg.visit_at, hall)
    return Msg("officer.walk_in")


async def waiting_list(turn: Turn) -> Presentation:
    officer = await turn.load_officer()
    if officer is None:
        return Presentation(choices=[Choice("home", Msg("officer.back_home"))])
    # those in review stay listed (with their status), so a button pressed after a
    # colleague took the registration answers who has it instead of vanishing
    regs = await turn.env.store.registrations_at(
        officer.hall,
        [RegistrationStatus.CHECKED_IN, RegistrationStatus.SUBMITTED, RegistrationStatus.IN_REVIEW],
    )
    hall = turn.env.hall(officer.hall)
    choices = []
    for r in _visit_first(turn, regs)[:20]:
        label = Msg.of(
            "officer.item",
            ref=r.ref,
            name=f"{r.first_name} {r.last_name}",
            when=_when(r, hall),
            status=officer_status(r.status),
        )
        choices.append(Choice(r.ref, label))
    texts = [] if choices else [Msg("officer.nothing_waiting")]
    choices.append(Choice("home", Msg("officer.back_home")))
    return Presentation(texts=texts, choices=choices)


async def _registration(turn: Turn) -> Registration | None:
    ref = turn.conv.slots.get("ref")
    return await turn.env.store.get_registration(ref) if isinstance(ref, str) else None


async def claim(turn: Turn) -> str:
    officer = await turn.load_officer()
    reg = await _registration(turn)
    if officer is None or reg is None or reg.erased:
        turn.say("officer.unknown_ref")
        return "refused"
    if reg.hall != officer.hall:
        turn.say("officer.other_hall", ref=reg.ref)
        return "refused"
    if reg.status == RegistrationStatus.IN_REVIEW and reg.officer_id == officer.id:
        return "ok"
    if reg.status not in (RegistrationStatus.SUBMITTED, RegistrationStatus.CHECKED_IN):
        await _say_taken(turn, reg)
        return "refused"
    turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.IN_REVIEW, officer.id))
    turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "claim", reg.ref))
    turn.on_refusal = _lost_race
    return "ok"


async def _say_taken(turn: Turn, reg: Registration) -> None:
    if reg.status == RegistrationStatus.IN_REVIEW and reg.officer_id is not None:
        holder = await turn.env.store.officer(reg.officer_id)
        turn.say("officer.taken_by", ref=reg.ref, name=holder.name if holder else "?")
    elif reg.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.CHECKED_IN):
        turn.say("officer.no_longer_yours", ref=reg.ref)  # put back (a supervisor, ...)
    else:
        turn.say("officer.not_open", ref=reg.ref, status=officer_status(reg.status))


async def _lost_race(turn: Turn, refusal: StoreError) -> None:
    """Another officer claimed or decided it between our read and our write."""
    turn.conv.state = "home"
    if isinstance(refusal, IllegalTransition) and refusal.current is not None:
        await _say_taken(turn, refusal.current)


def _holds(turn: Turn, officer: Officer | None, reg: Registration | None) -> bool:
    """The officer holds the registration: claimed before, or in this very turn."""
    if officer is None or reg is None or reg.erased or reg.hall != officer.hall:
        return False
    if reg.status == RegistrationStatus.IN_REVIEW and reg.officer_id == officer.id:
        return True
    return any(
        move.ref == reg.ref
        and move.to == RegistrationStatus.IN_REVIEW
        and move.officer_id == officer.id
        for move in turn.unit.transitions
    )


def _registered_in(jmbg: str, turn: Turn) -> Msg:
    """Where the JMBG was given, for the officer comparing it with the document."""
    parsed = parse_jmbg(jmbg, turn.env.clock().date())
    where = parsed.registered_in if isinstance(parsed, Jmbg) else UNKNOWN_REGION
    return Msg(f"jmbg.region.{where}")


async def review_view(turn: Turn) -> Presentation:
    officer = await turn.load_officer()
    reg = await _registration(turn)
    if officer is None or reg is None or not _holds(turn, officer, reg):
        texts = [Msg.of("officer.no_longer_yours", ref=reg.ref)] if reg else []
        return Presentation(texts=texts, choices=[Choice("home", Msg("officer.back_home"))])
    text = Msg.of(
        "officer.review",
        ref=reg.ref,
        first_name=reg.first_name,
        last_name=reg.last_name,
        jmbg=reg.jmbg,
        registered=_registered_in(reg.jmbg, turn),
        document=number_label(reg.document),
        id_number=reg.id_number,
        phone=display_phone(reg.phone),
        email=reg.email or "—",
        when=_when(reg, turn.env.hall(reg.hall)),
        compare=compare_with(reg.document),
    )
    turn.conv.slots[DOCUMENT] = reg.document  # which document the approval confirms
    choices = [Choice(c, Msg(f"officer.{c}")) for c in ("approve", "reject", "release")]
    choices.append(Choice("home", Msg("officer.back_home")))
    # the access log: who was shown whose JMBG and ID card number, and when
    seen = AuditEntry(f"officer:{officer.id}", "view", reg.ref, detail=SHOWN)
    return Presentation(texts=[text], choices=choices, reference=reg.ref, audit=[seen])


async def approve(turn: Turn) -> str:
    officer = await turn.load_officer()
    reg = await _registration(turn)
    if officer is None or reg is None:
        return "refused"
    if reg.status != RegistrationStatus.IN_REVIEW or reg.officer_id != officer.id:
        await _say_taken(turn, reg)
        return "refused"
    account = await turn.env.accounts.account_for(reg)
    hall = turn.env.hall(reg.hall)
    if hall is None:
        return "refused"
    turn.unit.accounts.append(NewAccount(reg.ref, account.username))
    printer = hall.printer_for_counter(officer.counter)
    turn.unit.transitions.append(
        Transition(reg.ref, RegistrationStatus.APPROVED, officer.id, username=account.username)
    )
    turn.unit.print_jobs.append(
        (
            f"credentials:{reg.ref}",
            printer,
            "credentials",
            {  # the reference lets a reprint be audited against the registration
                **CredentialsSlip(
                    language=reg.language,
                    hall=HallInfo.of(hall),
                    username=account.username,
                    valid_days=turn.env.settings.activation_code_days,
                ).payload(),
                "ref": reg.ref,
            },
        )
    )
    turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "approve", reg.ref))
    await _leaves_the_queue(turn, reg)
    await notify_citizen(
        turn,
        reg.ref,
        reg.language,
        [Msg.of("notify.approved", ref=reg.ref, username=account.username)],
        f"approved:{reg.ref}",
        (START,),
    )
    settings = turn.env.settings
    turn.unit.effects.append(
        reminder_effect(reg.ref, turn.env.clock(), settings.activation_reminder_hours)
    )
    where = (
        Msg.of("printer.at_counter", counter=officer.counter)
        if officer.counter and officer.counter in hall.counter_printers
        else Msg("printer.in_hall")
    )
    turn.say("officer.approved", ref=reg.ref, username=account.username, where=where)
    turn.on_refusal = _lost_race
    return "ok"


async def reject(turn: Turn) -> str:
    officer = await turn.load_officer()
    reg = await _registration(turn)
    if officer is None or reg is None:
        return "refused"
    # taken out of the officer's conversation: a typed reason may quote personal data,
    # and the officer's chat lives on long after the registration's data is erased
    chosen = str(turn.conv.slots.pop("reason", "other"))
    typed = turn.conv.slots.pop("reason_text", None)
    reason = f"reason:{chosen}" if chosen != "other" else str(typed)
    turn.unit.transitions.append(
        Transition(reg.ref, RegistrationStatus.REJECTED, officer.id, reason=reason)
    )
    turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "reject", reg.ref, detail=chosen))
    await _leaves_the_queue(turn, reg)
    told = await notify_citizen(
        turn,
        reg.ref,
        reg.language,
        [Msg.of("notify.rejected", ref=reg.ref, reason=reason_msg(reason))],
        f"rejected:{reg.ref}",
    )
    turn.say("officer.rejected" if told else "officer.rejected_no_chat", ref=reg.ref)
    turn.on_refusal = _lost_race
    return "ok"


async def _leaves_the_queue(turn: Turn, reg: Registration) -> None:
    """Decided: the person's queue number is served with it (still waiting, when decided
    from the waiting list or by its code: never called to a counter nor counted as waiting
    after; called, when decided from the number: not left "called" for ever)."""
    hall, now = turn.env.hall(reg.hall), turn.env.clock()
    if hall is None:
        return
    for ticket in await turn.env.store.tickets(hall.code, hall.local_day(now)):
        if ticket.ref == reg.ref and ticket.status in (TicketStatus.WAITING, TicketStatus.CALLED):
            served = replace(ticket, status=TicketStatus.SERVED, finished_at=now)
            turn.unit.ticket_changes.append(TicketChange(served, rerun=True))
            turn.unit.effects.append(hall_changed(hall.code))


async def release(turn: Turn) -> str:
    officer = await turn.load_officer()
    reg = await _registration(turn)
    if officer is not None and reg is not None:
        turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.CHECKED_IN, officer.id))
        turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "release", reg.ref))
        turn.say("officer.released", ref=reg.ref)
        turn.on_refusal = _lost_race
    return "ok"


PARTS = Parts(
    providers={
        "officer_home": officer_home,
        "waiting_list": waiting_list,
        "review_view": review_view,
    },
    actions={
        "claim_registration": claim,
        "approve_registration": approve,
        "reject_registration": reject,
        "release_registration": release,
    },
)
