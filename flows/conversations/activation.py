"""After the approval: setting up ConsentID together, one step at a time, in any channel.

The official steps (https://test.eid.gov.rs/en-US/install-mobile-applications): install the
app, go through its introduction, set a 6-digit PIN, activate it with the slip's QR code
(or the user ID and the activation code), check the name shown, then log in to the portal
with the username and confirm in the app. Each step has "Done" and "It does not work"; the
latter lists that step's common problems in plain words and, if the person is still stuck,
offers help (flows/conversations/activation_help.py). The bot never asks for the PIN or the code.

Where the person is (the step, the problem last reported) is kept per registration, so
the officer sees it and the person comes back to the same step; the first login confirmed
moves the registration from approved to active.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.conversations.booking import hall_label, visit_steps, when_label
from flows.domain import lifecycle
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.flow import END, Flow, Option, action, ask, choose, info
from flows.engine.messages import Choice, Expect, Msg
from flows.engine.records import ActivationProgress, AuditEntry, Effect, Registration, Transition
from flows.engine.turn import Parts, Presentation, Turn

STEPS: tuple[str, ...] = ("install", "intro", "pin", "activate", "check", "login")
# each step's common problems, in the order offered (message keys activation.problem.<id>)
PROBLEMS: dict[str, tuple[str, ...]] = {
    "install": ("no_space", "store_account", "phone_too_old", "store_qr"),
    "intro": ("no_internet", "app_closes"),
    "pin": ("pin_mismatch", "pin_forgotten"),
    "activate": ("qr_not_scanning", "code_expired", "already_activated", "code_refused"),
    "check": ("wrong_details",),
    "login": ("no_request", "pin_forgotten", "username_refused"),
}
PHONES = ("android", "iphone")
START = Choice("cmd:consentid", Msg("activation.start"))  # "Set up ConsentID now"
STEP_SLOT = "_step"
ACTIVATION_REMINDER = "activation_reminder"  # the outbox effect: one reminder, once

ACTIVATION = Flow(
    name="activation",
    steps=(
        action(
            "begin",
            "activation_begin",
            on={
                "need_ref": "activation_ref",
                "pick": "activation_which",
                "none": END,
                "active": "activation_done",
                "phone_kind": "phone_kind",
                **{step: step for step in STEPS},
            },
        ),
        ask("activation_ref", "ref", "ref", Expect.CODE, on={"ok": "begin"}),
        choose("activation_which", "ref", provider="activation_registrations", on={"ok": "begin"}),
        choose(
            "phone_kind",
            "phone_kind",
            options=tuple(Option(p, f"activation.phone.{p}") for p in PHONES),
            on={"ok": "install"},
            prompt="activation.phone",
        ),
        *(
            choose(
                step,
                None,
                provider="activation_step",
                on={"done": "advance", "trouble": "problems"},
                prompt="activation.did_it_work",
            )
            for step in STEPS
        ),
        action(
            "advance",
            "activation_advance",
            on={"finished": "logged_in", **{s: s for s in STEPS}},
        ),
        choose(
            "problems",
            "problem",
            provider="activation_problems",
            on={"ok": "report_problem", "back": "resume"},
            prompt="activation.which_problem",
        ),
        action("report_problem", "activation_report_problem", on={"ok": "advice"}),
        choose(
            "advice",
            None,
            provider="activation_advice",
            on={"retry": "resume", "still_stuck": "help"},
            prompt="activation.advice_prompt",
        ),
        choose(
            "help",
            None,
            provider="activation_help",
            on={
                "ask_officer": "ask_officer",
                "visit": "visit_day",
                "contact": "contact",
                "retry": "resume",
            },
            prompt="activation.help_prompt",
        ),
        action("ask_officer", "activation_ask_officer", on={"ok": "resume"}),
        *visit_steps(then="book"),
        action("book", "activation_book_visit", on={"ok": END}),
        action("contact", "activation_contact", on={"ok": "resume"}),
        action("resume", "activation_resume", on={s: s for s in STEPS}),
        action("logged_in", "activation_logged_in", on={"ok": "activation_done"}),
        choose(
            "activation_done",
            None,
            options=(
                Option("mailbox", "activation.mailbox.show"),
                Option("finish", "activation.finish"),
            ),
            on={"mailbox": "mailbox", "finish": END},
            prompt="activation.done_prompt",
        ),
        info("mailbox", on={"ok": END}, prompt="activation.mailbox"),
    ),
)


def step_number(step: str) -> int:
    return STEPS.index(step) + 1 if step in STEPS else 1


def step_msg(step: str, problem: str | None = None) -> Msg:
    """ "step 4 of 6 (activation)", with ", stuck: <problem>" when one was reported."""
    where = Msg.of(
        "activation.position",
        number=str(step_number(step)),
        total=str(len(STEPS)),
        step=Msg(f"activation.step_name.{step}"),
    )
    if problem is None:
        return where
    return Msg.of("activation.position_stuck", position=where, problem=problem_msg(problem))


def problem_msg(problem: str) -> Msg:
    return Msg(f"activation.problem.{problem}")


def current_step(turn: Turn) -> str:
    """The step last shown (kept by the step's own screen, so "back" keeps it right)."""
    step = turn.conv.slots.get(STEP_SLOT)
    return step if isinstance(step, str) and step in STEPS else STEPS[0]


async def registration_of(turn: Turn) -> Registration | None:
    ref = turn.conv.slots.get("ref")
    if not isinstance(ref, str):
        return None
    reg = await turn.env.store.get_registration(ref)
    return None if reg is None or reg.erased else reg


async def _with_account(turn: Turn) -> list[Registration]:
    regs = await turn.env.store.registrations_linked_to(turn.conv.key)
    return [r for r in regs if not r.erased and r.status in lifecycle.HAS_ACCOUNT]


async def begin(turn: Turn) -> str:
    """Which registration (the chat's own; on a shared screen, which nobody's are linked
    to, the one whose code is scanned) and where its person left off."""
    slots = turn.conv.slots
    if not isinstance(slots.get("ref"), str):
        if turn.traits.shared_screen:
            return "need_ref"
        mine = await _with_account(turn)
        waiting = [r for r in mine if r.status == RegistrationStatus.APPROVED]
        if len(waiting) > 1:
            return "pick"
        chosen = waiting or mine[-1:]
        if not chosen:
            turn.say("activation.none")
            return "none"
        slots["ref"] = chosen[0].ref
    reg = await registration_of(turn)
    if reg is None and turn.traits.shared_screen:
        # a typed or scanned code nobody has (mistyped, or erased): asked again, in the
        # words the check-in uses for the same mistake
        turn.say("checkin.unknown", ref=str(slots.pop("ref")))
        return "need_ref"
    if reg is None or reg.status not in lifecycle.HAS_ACCOUNT:
        slots.pop("ref", None)
        turn.say("activation.not_approved")
        return "none"
    if reg.status == RegistrationStatus.ACTIVE:
        turn.say("activation.already_active", username=reg.username or "")
        return "active"
    slots["hall"] = reg.hall
    progress = await turn.env.store.activation(reg.ref)
    if progress is None:
        record(turn, None, ActivationProgress(reg.ref, 1))
    step = STEPS[(progress.step if progress else 1) - 1]
    if step == STEPS[0]:
        return "phone_kind"
    turn.say("activation.welcome_back", position=step_msg(step))
    return step


async def registrations(turn: Turn) -> Presentation:
    regs = [r for r in await _with_account(turn) if r.status == RegistrationStatus.APPROVED]
    choices = [
        Choice(r.ref, Msg.of("status.item", ref=r.ref, status=Msg(f"status.{r.status}")))
        for r in regs
    ]
    return Presentation(choices=choices)


def record(turn: Turn, read: ActivationProgress | None, progress: ActivationProgress) -> None:
    """Where the person is now, written over what was read (its version); one per unit."""
    if read is not None and (read.step, read.problem) == (progress.step, progress.problem):
        return
    version = read.version if read is not None else 0
    kept = [p for p in turn.unit.activations if p.ref != progress.ref]
    turn.unit.activations = [
        *kept,
        ActivationProgress(progress.ref, progress.step, progress.problem, version=version),
    ]


async def code_texts(turn: Turn, reg: Registration) -> list[Msg]:
    """Until when the printed activation code works, or that it expired (a new one is
    printed at the counter)."""
    issued = await turn.env.store.activation_issued_at(reg.username) if reg.username else None
    hall = turn.env.hall(reg.hall)
    if issued is None or hall is None:
        return []
    until = issued + timedelta(days=turn.env.settings.activation_code_days)
    when = when_label(until, hall)
    if until > turn.env.clock():
        return [Msg.of("activation.code_valid_until", when=when)]
    return [Msg.of("activation.code_expired", when=when, hall=hall_label(hall))]


def _store_url(turn: Turn) -> str:
    settings = turn.env.settings
    if turn.conv.slots.get("phone_kind") == "iphone":
        return settings.consentid_ios_url
    return settings.consentid_android_url


async def step_view(turn: Turn) -> Presentation:
    step = turn.conv.state if turn.conv.state in STEPS else STEPS[0]
    turn.conv.slots[STEP_SLOT] = step
    reg = await registration_of(turn)
    texts = [step_msg(step)]
    qr = None
    if step == "install":
        phone = "iphone" if turn.conv.slots.get("phone_kind") == "iphone" else "android"
        texts.append(Msg.of(f"activation.step.install.{phone}", link=_store_url(turn)))
        if not turn.traits.on_own_phone:  # the store's page, to scan with the phone
            qr = _store_url(turn)
            texts.append(Msg("activation.install_qr"))
    elif step == "login" and reg is not None:
        texts.append(Msg.of("activation.step.login", username=reg.username or ""))
    else:
        texts.append(Msg(f"activation.step.{step}"))
    if step == "activate" and reg is not None:
        texts += await code_texts(turn, reg)
    choices = [Choice("done", Msg("activation.done")), Choice("trouble", Msg("activation.trouble"))]
    return Presentation(texts=texts, choices=choices, qr=qr, reference=reg.ref if reg else None)


async def advance(turn: Turn) -> str:
    step = current_step(turn)
    reg = await registration_of(turn)
    if step == STEPS[-1]:
        return "finished"
    following = STEPS[step_number(step)]
    if reg is not None:
        read = await turn.env.store.activation(reg.ref)
        record(turn, read, ActivationProgress(reg.ref, step_number(following)))
    turn.conv.slots[STEP_SLOT] = following
    return following


async def resume(turn: Turn) -> str:
    return current_step(turn)


async def problems(turn: Turn) -> Presentation:
    step = current_step(turn)
    choices = [Choice(p, problem_msg(p)) for p in PROBLEMS[step]]
    choices.append(Choice("back", Msg("activation.back_to_step")))
    return Presentation(texts=[step_msg(step)], choices=choices)


async def report_problem(turn: Turn) -> str:
    """Kept where the officer sees it, and counted in the activation report."""
    step, problem = current_step(turn), str(turn.conv.slots.get("problem", ""))
    reg = await registration_of(turn)
    if reg is not None and problem in PROBLEMS[step]:
        read = await turn.env.store.activation(reg.ref)
        record(turn, read, ActivationProgress(reg.ref, step_number(step), problem))
        detail = f"{step}:{problem}"
        turn.unit.audit.append(AuditEntry("citizen", "activation_problem", reg.ref, detail))
    return "ok"


async def advice(turn: Turn) -> Presentation:
    problem = str(turn.conv.slots.get("problem", ""))
    reg = await registration_of(turn)
    hall = turn.env.hall(reg.hall) if reg else None
    values: dict[str, str | Msg] = {
        "hall": hall_label(hall) if hall else "",
        "username": (reg.username or "") if reg else "",
    }
    texts = [Msg.of(f"activation.fix.{problem}", **values)]
    if problem == "code_expired" and reg is not None:
        texts += await code_texts(turn, reg)
    choices = [
        Choice("retry", Msg("activation.retry")),
        Choice("still_stuck", Msg("activation.still_stuck")),
    ]
    return Presentation(texts=texts, choices=choices)


async def logged_in(turn: Turn) -> str:
    """The first login confirmed by the citizen: approved -> active."""
    reg = await registration_of(turn)
    if reg is not None and reg.status == RegistrationStatus.APPROVED:
        turn.unit.transitions.append(Transition(reg.ref, RegistrationStatus.ACTIVE))
        turn.unit.audit.append(AuditEntry("citizen", "activate", reg.ref))
        read = await turn.env.store.activation(reg.ref)
        record(turn, read, ActivationProgress(reg.ref, len(STEPS)))
        turn.on_refusal = _confirmed_meanwhile
    turn.say("activation.logged_in")
    return "ok"


async def _confirmed_meanwhile(turn: Turn, refusal: object) -> None:
    """An officer marked the first login done between our read and our write."""
    turn.conv.state = "activation_done"
    turn.say("activation.logged_in")


def reminder_effect(ref: str, approved_at: datetime, hours: int) -> Effect:
    """One reminder, `hours` after the approval, if the first login is not confirmed by then
    (the outbox worker looks again when it is due)."""
    return Effect(
        ACTIVATION_REMINDER,
        f"{ACTIVATION_REMINDER}:{ref}",
        {"ref": ref},
        due_at=approved_at + timedelta(hours=hours),
    )


def reminder_texts(
    reg: Registration, code_issued_at: datetime | None, now: datetime, days: int
) -> list[Msg]:
    texts = [Msg.of("activation.reminder", ref=reg.ref, username=reg.username or "")]
    if code_issued_at is not None and code_issued_at + timedelta(days=days) <= now:
        texts.append(Msg("activation.reminder_code_expired"))
    return texts


PARTS = Parts(
    providers={
        "activation_registrations": registrations,
        "activation_step": step_view,
        "activation_problems": problems,
        "activation_advice": advice,
    },
    actions={
        "activation_begin": begin,
        "activation_advance": advance,
        "activation_resume": resume,
        "activation_report_problem": report_problem,
        "activation_logged_in": logged_in,
    },
)
