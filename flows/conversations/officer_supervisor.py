"""Supervisors: who holds which registration of their hall, and releasing any of them (an
officer who went home, or one who will not finish it) back to the waiting list."""

from __future__ import annotations

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.flow import Step, action, choose, confirm
from flows.engine.messages import Choice, Msg
from flows.engine.ports import StoreError
from flows.engine.records import AuditEntry, Officer, Registration, Transition
from flows.engine.turn import Parts, Presentation, Turn

SUPERVISOR_STEPS: tuple[Step, ...] = (
    choose("held", "held_ref", provider="held_list", on={"ok": "release_held_confirm"}),
    confirm("release_held_confirm", on={"yes": "release_held", "no": "held"}),
    action("release_held", "release_held_registration", on={"ok": "held"}),
)
HOME = Choice("home", Msg("officer.back_home"))


async def _supervisor(turn: Turn) -> Officer | None:
    officer = await turn.load_officer()
    return officer if officer is not None and officer.supervisor else None


async def _holders(turn: Turn, hall: str) -> dict[int, str]:
    return {o.id: o.name for o in await turn.env.store.officers(hall)}


async def held_list(turn: Turn) -> Presentation:
    supervisor = await _supervisor(turn)
    if supervisor is None:
        return Presentation(choices=[HOME])
    held = await turn.env.store.registrations_at(supervisor.hall, [RegistrationStatus.IN_REVIEW])
    holders = await _holders(turn, supervisor.hall)
    choices = [
        Choice(
            reg.ref,
            Msg.of(
                "supervisor.held_item", ref=reg.ref, officer=holders.get(reg.officer_id or 0, "?")
            ),
        )
        for reg in held
    ]
    texts = [] if choices else [Msg("supervisor.nothing_held")]
    return Presentation(texts=texts, choices=[*choices, HOME])


async def release_held(turn: Turn) -> str:
    """Back to the waiting list, from the officer holding it when read: if they decided
    (or released) it meanwhile, the store refuses and the supervisor is told."""
    supervisor = await _supervisor(turn)
    ref = turn.conv.slots.pop("held_ref", None)
    reg = await turn.env.store.get_registration(ref) if isinstance(ref, str) else None
    if supervisor is None or reg is None or reg.hall != supervisor.hall:
        return "ok"
    if not _held(reg):
        turn.say("supervisor.not_held", ref=reg.ref)
        return "ok"
    holder = (await _holders(turn, reg.hall)).get(reg.officer_id or 0, "?")
    turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.CHECKED_IN, reg.officer_id))
    turn.unit.audit.append(
        AuditEntry(
            f"officer:{supervisor.id}",
            "release",
            reg.ref,
            detail=f"held by officer:{reg.officer_id}",
        )
    )
    turn.say("supervisor.released", ref=reg.ref, officer=holder)
    turn.on_refusal = _decided_meanwhile
    return "ok"


def _held(reg: Registration) -> bool:
    return reg.status == RegistrationStatus.IN_REVIEW and reg.officer_id is not None


async def _decided_meanwhile(turn: Turn, refusal: StoreError) -> None:
    ref = getattr(refusal, "ref", "")
    turn.say("supervisor.not_held", ref=str(ref))


PARTS = Parts(
    providers={"held_list": held_list},
    actions={"release_held_registration": release_held},
)
