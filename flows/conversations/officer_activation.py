"""Officers and ConsentID: where each approved person of the hall is in setting it up, the
first login marked done on their behalf, and a new activation code printed.

The list shows "ConsentID: step 4 of 6 (activation), stuck: QR not scanning" per person.
A new code is a new credentials slip on the officer's own counter printer: the printer
worker issues a fresh code for every credentials slip it prints, so the old one stops
working; the reprint is audited.
"""

from __future__ import annotations

from flows.conversations.activation import STEPS, code_texts, record, step_msg
from flows.conversations.slips import CredentialsSlip, HallInfo
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.flow import Step, action, choose
from flows.engine.messages import Choice, Msg
from flows.engine.notify import notify_citizen
from flows.engine.records import ActivationProgress, AuditEntry, Registration, Transition
from flows.engine.turn import Parts, Presentation, Turn

SHOWN = 20
REF = "activation_ref"

ACTIVATION_STEPS: tuple[Step, ...] = (
    choose(
        "activations",
        REF,
        provider="officer_activations",
        on={"ok": "activation_view", "home": "home"},
    ),
    choose(
        "activation_view",
        None,
        provider="officer_activation_view",
        on={
            "first_login": "mark_login",
            "new_code": "new_code",
            "back": "activations",
            "home": "home",
        },
    ),
    action("mark_login", "officer_mark_login", on={"ok": "activations"}),
    action("new_code", "officer_new_code", on={"ok": "activation_view"}),
)


async def _approved_here(turn: Turn) -> list[Registration]:
    officer = await turn.load_officer()
    if officer is None:
        return []
    regs = await turn.env.store.registrations_at(officer.hall, [RegistrationStatus.APPROVED])
    regs.sort(key=lambda r: r.updated_at, reverse=True)  # the latest approvals first
    # what this very turn activates is no longer waiting (its unit commits after the reply)
    activated = {t.ref for t in turn.unit.transitions if t.to is RegistrationStatus.ACTIVE}
    return [r for r in regs if not r.erased and r.ref not in activated][:SHOWN]


async def activations_list(turn: Turn) -> Presentation:
    regs = await _approved_here(turn)
    progress = await turn.env.store.activations([r.ref for r in regs])
    choices = []
    for reg in regs:
        found = progress.get(reg.ref)
        choices.append(
            Choice(
                reg.ref,
                Msg.of(
                    "officer.activation_item",
                    ref=reg.ref,
                    name=f"{reg.first_name} {reg.last_name}",
                    position=_position(found),
                ),
            )
        )
    texts = [] if choices else [Msg("officer.activations_none")]
    choices.append(Choice("home", Msg("officer.back_home")))
    return Presentation(texts=texts, choices=choices)


def _position(progress: ActivationProgress | None) -> Msg:
    if progress is None:
        return Msg("officer.activation_not_started")
    step = STEPS[min(max(progress.step, 1), len(STEPS)) - 1]
    return step_msg(step, progress.problem)


async def _chosen(turn: Turn) -> Registration | None:
    ref = turn.conv.slots.get(REF)
    officer = await turn.load_officer()
    if not isinstance(ref, str) or officer is None:
        return None
    reg = await turn.env.store.get_registration(ref)
    return reg if reg is not None and reg.hall == officer.hall and not reg.erased else None


async def activation_view(turn: Turn) -> Presentation:
    reg = await _chosen(turn)
    back = [
        Choice("back", Msg("officer.activations_back")),
        Choice("home", Msg("officer.back_home")),
    ]
    if reg is None:
        return Presentation(choices=back)
    progress = await turn.env.store.activation(reg.ref)
    texts = [
        Msg.of(
            "officer.activation_view",
            ref=reg.ref,
            name=f"{reg.first_name} {reg.last_name}",
            username=reg.username or "",
            status=Msg(f"status.{reg.status}"),
            position=_position(progress),
        )
    ]
    texts += await code_texts(turn, reg)
    choices = []
    if reg.status == RegistrationStatus.APPROVED:
        choices += [
            Choice("first_login", Msg("officer.activation_first_login")),
            Choice("new_code", Msg("officer.activation_new_code")),
        ]
    return Presentation(texts=texts, choices=choices + back, reference=reg.ref)


async def mark_login(turn: Turn) -> str:
    """The person logged in at the counter: approved -> active, by this officer."""
    officer = await turn.load_officer()
    reg = await _chosen(turn)
    if officer is None or reg is None:
        return "ok"
    if reg.status != RegistrationStatus.APPROVED:
        turn.say("officer.activation_already", ref=reg.ref)
        return "ok"
    turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.ACTIVE, officer.id))
    turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "activate", reg.ref))
    record(turn, await turn.env.store.activation(reg.ref), ActivationProgress(reg.ref, len(STEPS)))
    await notify_citizen(
        turn,
        reg.ref,
        reg.language,
        [Msg.of("activation.confirmed_at_counter", username=reg.username or "")],
        f"activated:{reg.ref}",
    )
    turn.say("officer.activation_marked", ref=reg.ref)
    turn.on_refusal = _already_active
    return "ok"


async def _already_active(turn: Turn, refusal: object) -> None:
    turn.conv.state = "activations"
    turn.say("officer.activation_already", ref=str(turn.conv.slots.get(REF, "")))


async def new_code(turn: Turn) -> str:
    officer = await turn.load_officer()
    reg = await _chosen(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    if officer is None or reg is None or hall is None or not reg.username:
        return "ok"
    printer = hall.printer_for_counter(officer.counter)
    payload = CredentialsSlip(
        language=reg.language,
        hall=HallInfo.of(hall),
        username=reg.username,
        valid_days=turn.env.settings.activation_code_days,
    ).payload()
    once = turn.inbound.message_id or turn.env.clock().isoformat()
    turn.unit.print_jobs.append(
        (f"credentials:{reg.ref}:{once}", printer, "credentials", {**payload, "ref": reg.ref})
    )
    detail = f"credentials with a new activation code on {printer}"
    turn.unit.audit.append(AuditEntry(f"officer:{officer.id}", "reprint", reg.ref, detail))
    turn.say("officer.activation_code_printing", ref=reg.ref, printer=printer)
    return "ok"


PARTS = Parts(
    providers={
        "officer_activations": activations_list,
        "officer_activation_view": activation_view,
    },
    actions={"officer_mark_login": mark_login, "officer_new_code": new_code},
)
