"""The conversation engine: per message, load the conversation, fire one outcome, save.

Everything a message changes (the conversation, registrations, outbox effects, print jobs,
audit) goes to the store as one unit; the reply is released only after it is durable.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from flows.domain.appsecrets import looks_like_app_secret
from flows.engine.channel_ports import UnknownHall
from flows.engine.flow import END, CompiledFlow, Flow, Kind, Step, compile_flows
from flows.engine.i18n import normalize_language
from flows.engine.messages import LANGUAGES, Command, Inbound, Msg, Outbound, unknown_command
from flows.engine.parking import PARKED, RESUME, forget_stale, park, parked_flow, unpark
from flows.engine.ports import (
    DuplicateInbound,
    IllegalTransition,
    InviteGone,
    SessionEnded,
    SlotFull,
    StoreError,
    TicketChanged,
    UnitStore,
    VersionConflict,
)
from flows.engine.present import (
    CANCEL,
    HELP,
    LANGUAGE_CHOICES,
    ask_buttons,
    match_choice,
    plain_reply,
    step_reply,
    unknown_hall_reply,
)
from flows.engine.records import Conversation, Unit
from flows.engine.root_menu import RootMenu
from flows.engine.steps import STALE_BUTTON, receive, takes_code
from flows.engine.tickets import with_tickets
from flows.engine.turn import Env, Invalid, Parts, Turn

log = logging.getLogger(__name__)

_MAX_HISTORY = 50
# kept when a flow starts or ends: the language was chosen; this chat enrolled an officer;
# a draft set aside for a look elsewhere (see `_park`); the registrations this chat may
# change, and wrong numbers typed to prove it (the status flow)
STICKY = ("_language_chosen", "_officer", PARKED, "_may_change", "_wrong_numbers")
_MAX_CHAIN = 20  # action steps followed in one turn, a guard against a loop in a table
# a conflict means another message changed what this one read: run it again on fresh
# reads, after a short random pause when it keeps happening (many at once in one hall)
_RETRIES = 30
_CALM_RETRIES = 3


async def _pause(attempt: int) -> None:
    if attempt >= _CALM_RETRIES:
        await asyncio.sleep(random.uniform(0, 0.002 * 2 ** min(attempt - _CALM_RETRIES, 6)))


class Engine:
    def __init__(
        self, env: Env, flows: Sequence[Flow], parts: Parts, units: UnitStore, menu: RootMenu
    ) -> None:
        self.env = env  # its store is read-only: a turn reads, the unit writes
        self.units = units
        self.menu = menu
        self.flows: dict[str, CompiledFlow] = compile_flows(list(flows))
        self.parts = parts
        self._kept = timedelta(days=env.settings.retention_days)  # a draft set aside, at most
        # told of each unit once it is durable (the shell wakes the workers it gave work)
        self.committed: Callable[[Unit], None] | None = None
        self._check_tables()

    def _check_tables(self) -> None:
        """Every name a table refers to exists: fail at start-up, not mid-conversation."""
        for compiled in self.flows.values():
            for step in compiled.flow.steps:
                missing = (
                    (step.kind is Kind.ASK and step.check not in self.parts.checks)
                    or (
                        step.kind is Kind.CHOOSE
                        and step.check is not None
                        and step.check not in self.parts.checks
                    )
                    or (step.kind is Kind.ACTION and step.check not in self.parts.actions)
                    or (step.provider is not None and step.provider not in self.parts.providers)
                    or (step.skip_when is not None and step.skip_when not in self.parts.predicates)
                )
                if missing:
                    raise ValueError(f"{compiled.flow.name}.{step.name} names a missing part")

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """The replies to one inbound message, released only once its changes are durable.

        A fault of ours (a bug, the database away) is answered with an apology and changes
        nothing, so the person can simply try again. SessionEnded is raised (the kiosk's
        session went while the turn ran): only the channel knows what to show then."""
        try:
            return await self._handle(inbound)
        except SessionEnded:
            raise
        except Exception:
            log.exception("message on %s not handled", inbound.key.channel)
            return [
                Outbound(
                    key=inbound.key,
                    language=normalize_language(inbound.language_hint),
                    text=(Msg("engine.error"),),
                    screen="error",
                )
            ]

    async def _handle(self, inbound: Inbound) -> list[Outbound]:
        refusal: StoreError | None = None
        refused_turn: Turn | None = None
        for attempt in range(_RETRIES):
            turn = await self._turn(inbound)
            try:
                if refusal is not None and refused_turn is not None and refused_turn.on_refusal:
                    await refused_turn.on_refusal(turn, refusal)
                    reply = await self._reply(turn)
                else:
                    reply = await self._dispatch(turn)
            except UnknownHall as exc:  # said, and nothing of the message applied
                log.warning("%s names hall %r, not configured", inbound.key.channel, exc.code)
                return [unknown_hall_reply(turn, exc.code)]
            if turn.unit.forget is None:
                turn.unit.conversation = turn.conv
            turn.unit.reply = [reply]
            try:
                await self.units.apply(turn.unit)
            except DuplicateInbound:
                return await self._recorded(inbound)
            except VersionConflict:
                refusal = None
                await _pause(attempt)
                continue
            except (SlotFull, IllegalTransition, TicketChanged, InviteGone) as exc:
                if turn.on_refusal is None:
                    raise
                refusal, refused_turn = exc, turn
                continue
            # what happened, never what was said: names of places and counts only
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s message: now %s.%s (try %d, %d audited, %d effects)",
                    inbound.key.channel,
                    turn.conv.flow or "menu",
                    turn.conv.state or "-",
                    attempt + 1,
                    len(turn.unit.audit),
                    len(turn.unit.effects),
                )
            if self.committed is not None:
                self.committed(turn.unit)
            return [with_tickets(reply, turn.unit)]
        raise RuntimeError("the conversation kept changing under this message")

    async def _turn(self, inbound: Inbound) -> Turn:
        """A turn from nothing: the conversation as stored now, an empty unit."""
        conv = await self.units.load_conversation(inbound.key)
        turn = Turn(self.env, conv or Conversation(key=inbound.key), inbound, Unit())
        if PARKED in turn.conv.slots:  # the clock is read only when a draft was set aside
            forget_stale(turn.conv, self.env.clock(), self._kept)
        if inbound.message_id:
            turn.unit.inbound_id = (inbound.key.channel, inbound.message_id)
        turn.unit.session = inbound.session
        return turn

    async def _recorded(self, inbound: Inbound) -> list[Outbound]:
        """A redelivered message: the reply its unit recorded, so a reply lost in a crash
        between the commit and the send reaches the person now (never a different one)."""
        recorded = await self.units.recorded_reply(inbound.key.channel, inbound.message_id or "")
        return recorded or []

    # -- dispatch -----------------------------------------------------------------------

    async def _dispatch(self, turn: Turn) -> Outbound:
        conv, inbound = turn.conv, turn.inbound
        if conv.language is None and inbound.language_hint:
            conv.language = normalize_language(inbound.language_hint)
        if conv.slots.get("_officer") and await turn.load_officer() is None:
            # revoked: told at the very next message, whatever it is, and shown nothing
            self._leave_flow(turn)
            conv.slots.pop("_officer", None)
            turn.say("officer.revoked")
            return await self.menu.present(turn)
        choice = inbound.choice or ""
        if choice.startswith("lang:") and choice[5:] in LANGUAGES:
            return await self._set_language(turn, choice[5:])
        if choice.startswith("cmd:"):
            try:
                command = Command(choice[4:]) if choice != "cmd:menu" else Command.RESTART
            except ValueError:
                command = None
            if command is not None:
                return await self._command(turn, command)
        if inbound.command is not None:
            return await self._command(turn, inbound.command)
        step = self._step(conv)
        if looks_like_app_secret(inbound.text) and not takes_code(turn, step, self.parts):
            # a PIN or an activation code belongs only in the ConsentID app: nothing of
            # this message is kept (the conversation stays as it was), and it is said why
            turn.say("secrets.only_in_app")
            return await self._reply(turn) if conv.flow else await self.menu.present(turn)
        unknown = unknown_command(inbound.text)
        if unknown is not None:
            turn.say("engine.unknown_command", command=unknown)
            return await self._reply(turn)
        if not conv.flow:
            return await self._menu_answer(turn)
        return await self._step_answer(turn, step)

    async def _command(self, turn: Turn, command: Command) -> Outbound:
        conv, payload = turn.conv, turn.inbound.payload
        if command is Command.WIPE:
            turn.unit.forget = conv.key
            turn.conv = Conversation(key=conv.key)
            return await self.menu.present(turn)
        if command is Command.LANGUAGE:
            if payload and normalize_language(payload) in LANGUAGES and payload in LANGUAGES:
                return await self._set_language(turn, payload)
            return self.menu.language_choice(turn)
        if command is Command.START and payload:
            return await self.menu.deep_link(turn, payload, self)
        if command is Command.START and conv.flow:
            turn.say("engine.resumed")
            return await self._reply(turn)
        if command in (Command.START, Command.RESTART):
            self._leave_flow(turn)
            return await self.menu.present(turn)
        if command is Command.CANCEL:
            if conv.flow:
                turn.say(self.menu.cancelled(conv.flow))
            self._leave_flow(turn)
            return await self.menu.present(turn)
        if command is Command.BACK:
            if conv.history:
                conv.state = conv.history.pop()
                conv.failures = 0
                return await self._reply(turn)
            self._leave_flow(turn)
            return await self.menu.present(turn)
        if command is Command.HELP:
            step = self._step(conv)
            turn.say(step.help if step is not None and step.help else "help.general")
            return await self._reply(turn)
        if command is Command.OFFICER:
            return await self.start_flow(turn, "enroll", {"code": payload} if payload else {})
        if command is Command.STATUS:
            return await self.start_flow(turn, "status", park=True)
        if command is Command.GUIDE:
            return await self.start_flow(turn, "guide", park=True)
        if command is Command.CONSENTID:
            return await self.start_flow(turn, "activation", park=True)
        if command is Command.REGISTER:  # "Become an eCitizen" from the guide
            if parked_flow(conv) == "registration":
                return await self._unpark(turn)
            return await self.start_flow(turn, "registration")
        return await self._reply(turn)

    async def _set_language(self, turn: Turn, language: str) -> Outbound:
        turn.conv.language = language
        turn.conv.slots["_language_chosen"] = True
        if turn.conv.flow and self._step(turn.conv) is not None:
            step = self._step(turn.conv)
            if step is not None and step.slot == "_language":
                return await self._advance(turn, "ok")
        return await self._reply(turn)

    async def _menu_answer(self, turn: Turn) -> Outbound:
        choice = turn.inbound.choice
        if self.menu.asks_language(turn):
            typed = match_choice(turn.inbound.text or "", LANGUAGE_CHOICES, turn.language)
            if typed is not None:
                return await self._set_language(turn, typed[5:])
            return await self.menu.present(turn)
        options = await self.menu.choices(turn)
        if choice is None and turn.inbound.text:
            choice = match_choice(turn.inbound.text, options, turn.language)
        if choice is not None and any(c.id == choice for c in options):
            flow = self.menu.flow_of(choice)
            if choice == RESUME or (flow is not None and flow == parked_flow(turn.conv)):
                return await self._unpark(turn)
            if flow is not None:
                return await self.start_flow(turn, flow)
        if choice is not None and turn.inbound.text is None:
            turn.say(f"invalid.{STALE_BUTTON}")
        elif turn.inbound.text or turn.inbound.choice or turn.inbound.scan:
            turn.say("menu.unknown")
        return await self.menu.present(turn)

    async def _step_answer(self, turn: Turn, step: Step | None) -> Outbound:
        """`step`: where the conversation is (None: a place no flow has any more)."""
        conv = turn.conv
        compiled = self.flows.get(conv.flow)
        if compiled is None or step is None:
            log.warning(
                "conversation in an unknown place %s.%s: back to the menu", conv.flow, conv.state
            )
            self._leave_flow(turn)
            return await self.menu.present(turn)
        if step.kind is Kind.ASK and turn.inbound.text and turn.inbound.choice is None:
            picked = self._typed_choice(turn, step)
            if picked is not None:
                turn.inbound = replace(turn.inbound, text=None, choice=picked)
                if picked.startswith("cmd:"):
                    return await self._dispatch(turn)
        result = await receive(turn, step, self.parts)
        if isinstance(result, Invalid):
            if result.reason != STALE_BUTTON:
                conv.failures += 1
            turn.texts.append(Msg.of(f"invalid.{result.reason}", **result.as_dict()))
            return await self._reply(turn)
        return await self._advance(turn, result)

    # -- moving through a flow ----------------------------------------------------------

    async def start_flow(
        self, turn: Turn, name: str, slots: dict[str, object] | None = None, park: bool = False
    ) -> Outbound:
        """`park`: a draft in progress is set aside, not lost, and offered again after."""
        conv = turn.conv
        if park:
            self._park(turn, name)
        conv.flow, conv.history, conv.failures = name, [], 0
        conv.slots = _sticky(conv.slots)
        conv.slots.update(slots or {})
        return await self._enter(turn, self.flows[name].flow.first)

    def _park(self, turn: Turn, going_to: str) -> None:
        """A look at the status or the guide in the middle of a draft (a flow whose answers
        can be changed, like the registration) keeps the draft, exactly where it was."""
        conv = turn.conv
        compiled = self.flows.get(conv.flow)
        if compiled is None or not compiled.flow.editable or conv.flow == going_to:
            return
        conv.slots[PARKED] = park(conv, STICKY, self.env.clock())

    async def _unpark(self, turn: Turn) -> Outbound:
        conv = turn.conv
        if not unpark(conv, STICKY) or self._step(conv) is None:
            self._leave_flow(turn)
            return await self.menu.present(turn)
        turn.say("engine.resumed")
        return await self._reply(turn)

    def _typed_choice(self, turn: Turn, step: Step) -> str | None:
        """A free-text step also offers buttons (skip, help, cancel): "1" or "Skip" typed
        in a terminal means the button, as long as the step's own answer cannot be a
        single small number."""
        shown = ask_buttons(step)
        if turn.conv.failures >= self.env.settings.max_failures:
            shown += [HELP, CANCEL]
        if not shown:
            return None
        return match_choice(turn.inbound.text or "", shown, turn.language)

    async def _advance(self, turn: Turn, outcome: str) -> Outbound:
        conv = turn.conv
        compiled = self.flows[conv.flow]
        target = compiled.next_state(conv.state, outcome)
        if target is None:
            log.error("no transition %s --%s--> in flow %s", conv.state, outcome, conv.flow)
            return await self._reply(turn)
        if outcome.startswith("edit_") and compiled.flow.editable:
            conv.slots["_return"] = conv.state  # change one answer, then back here
        back_to = conv.slots.get("_return")
        if isinstance(back_to, str) and outcome == "ok" and target != END:
            target = self._first_missing(turn, compiled, target, back_to)
            if target == back_to:
                conv.slots.pop("_return", None)
        if compiled.flow.step(conv.state).kind is not Kind.ACTION:
            conv.history = [*conv.history, conv.state][-_MAX_HISTORY:]
        return await self._enter(turn, target)

    def _first_missing(self, turn: Turn, compiled: CompiledFlow, start: str, stop: str) -> str:
        """In edit mode: the next step on the way back to `stop` whose slot is empty."""
        state = start
        for _ in range(len(compiled.flow.steps)):
            if state in (stop, END):
                return stop
            step = compiled.flow.step(state)
            if step.slot and step.slot not in turn.conv.slots and not step.optional:
                return state
            nxt = compiled.next_state(state, "ok")
            if nxt is None:
                return stop
            state = nxt
        return stop

    async def _enter(self, turn: Turn, state: str) -> Outbound:
        conv = turn.conv
        for _ in range(_MAX_CHAIN):
            conv.failures = 0
            if state == END:
                return await self._finish(turn)
            conv.state = state
            step = self.flows[conv.flow].flow.step(state)
            if step.skip_when and self.parts.predicates[step.skip_when](turn):
                state = self._next_or_end(conv.flow, state, "ok")
                continue
            if step.kind is not Kind.ACTION:
                return await self._reply(turn)
            outcome = await self.parts.actions[step.check or ""](turn)
            state = self._next_or_end(conv.flow, state, outcome)
        raise RuntimeError(f"flow {conv.flow} runs in a circle at {state}")

    def _next_or_end(self, flow: str, state: str, outcome: str) -> str:
        nxt = self.flows[flow].next_state(state, outcome)
        if nxt is None:
            raise RuntimeError(f"flow {flow}: no transition {state} --{outcome}-->")
        return nxt

    async def _finish(self, turn: Turn) -> Outbound:
        self._leave_flow(turn)
        turn.finished = True
        return await self.menu.present(turn, end=True)

    def _leave_flow(self, turn: Turn) -> None:
        conv = turn.conv
        conv.flow, conv.state, conv.history, conv.failures = "", "", [], 0
        conv.slots = _sticky(conv.slots)

    def _step(self, conv: Conversation) -> Step | None:
        compiled = self.flows.get(conv.flow)
        if compiled is None or not compiled.flow.has(conv.state):
            return None
        return compiled.flow.step(conv.state)

    async def _reply(self, turn: Turn) -> Outbound:
        conv = turn.conv
        step = self._step(conv)
        if step is None:
            return await self.menu.present(turn)
        return await step_reply(turn, self.flows[conv.flow], step, self.parts)


__all__ = ["Engine", "plain_reply"]


def _sticky(slots: dict[str, object]) -> dict[str, object]:
    return {k: slots[k] for k in STICKY if slots.get(k)}
