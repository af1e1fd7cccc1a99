"""Conversations and `apply`: everything one inbound message changes, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.engine.codec import outbound_from_json
from flows.engine.messages import ConversationKey, Outbound
from flows.engine.ports import (
    DuplicateInbound,
    IllegalTransition,
    InviteGone,
    SessionEnded,
    SlotFull,
    StoreError,
    TicketChanged,
    VersionConflict,
)
from flows.engine.records import Conversation, NewTicket, Unit
from state import activations, kiosk_sessions, staff_writes, ticket_writes, writes
from state.cache import CachedConversation
from state.db import Refusal, Statement
from state.queue import QueueQueries, ticket_of
from state.registrations import RegistrationQueries
from state.values import from_micros, kept_bytes, load_json, to_micros
from state.wakeups import dropped_payload

_LOAD = (
    "SELECT flow, state, data, version, updated_at FROM conversations "
    "WHERE channel = $1 AND user_key = $2"
)


def unit_statements(
    unit: Unit, now: int, data: writes.JsonText | None = None, utf8: bool = False
) -> UnitPlan:
    """In this order: a kiosk session's step first (a request that lost its session to
    the sweep or to another request is told so), the inbound id next (a redelivery is
    reported as such, not as a version conflict), the forget before the save (a wipe then
    a fresh start), new tickets before whatever names their labels, the reply last.
    `utf8`: JSON as UTF-8 bytes (see writes.JsonText)."""
    plan = UnitPlan()
    add = plan.statements.append
    simple = unit.only_the_conversation()  # most messages: nothing else to look through
    tickets: Sequence[NewTicket] = () if simple else unit.new_tickets
    reply_later = bool(tickets and unit.reply)
    if unit.session is not None:
        language = unit.reply[-1].language if unit.reply else None
        add(kiosk_sessions.step_statement(unit.session, language, now))
    if unit.inbound_id is not None:
        reply = None if reply_later else unit.reply or None
        add(writes.inbound_statement(*unit.inbound_id, now, reply, utf8))
    if unit.forget is not None:
        add(writes.forget_statement(unit.forget))
    if unit.conversation is not None:
        add(writes.save_statement(unit.conversation, now, data))
    if simple:
        plan.independent = unit.forget is None  # a wipe then a fresh start: the same row
        return plan
    if unit.new_registration is not None:
        plan.statements += writes.registration_statements(unit.new_registration, unit.capacity)
    if unit.links:
        add(writes.links_statement(unit.links))
    for move in unit.transitions:
        add(writes.transition_statement(move, now))
    for change in unit.visit_changes:
        plan.statements += writes.visit_change_statements(change, now)
    _staff_statements(unit, now, plan.statements)
    for ticket in unit.new_tickets:
        plan.statements += ticket_writes.issue_statements(ticket, now)
        plan.issued_at.append(len(plan.statements) - 1)
    for ticket_change in unit.ticket_changes:
        add(ticket_writes.change_statement(ticket_change))
    if unit.effects:
        add(writes.effects_statement(unit.effects, now, tickets))
    if unit.print_jobs:
        add(writes.print_jobs_statement(unit.print_jobs, now, tickets))
    if unit.audit:
        add(writes.audit_statement(unit.audit, now))
    if unit.inbound_id is not None and reply_later:
        add(writes.reply_statement(unit.inbound_id, unit.reply, tickets))
    return plan


def _staff_statements(unit: Unit, now: int, statements: list[Statement]) -> None:
    for enrollment in unit.enrollments:
        statements += staff_writes.enrollment_statements(enrollment)
    for counter in unit.counter_changes:
        statements.append(staff_writes.counter_statement(counter))
    for account in unit.accounts:
        statements += staff_writes.account_statements(account, now)
    for reprint in unit.reprints:
        statements.append(staff_writes.reprint_statement(reprint, now))
    for throttle in unit.throttles:
        statements.append(staff_writes.throttle_statement(throttle))
    for progress in unit.activations:
        statements.append(activations.progress_statement(progress, now))
    for visit in unit.help_visits:
        statements += activations.help_visit_statements(visit, now)


@dataclass(slots=True)
class UnitPlan:
    statements: list[Statement] = field(default_factory=list)
    # the statements write different rows and read none the others write: a conversation's
    # save, its inbound id and its kiosk session's step (see Database.run)
    independent: bool = False
    issued_at: list[int] = field(default_factory=list)  # statements returning new tickets


class ConversationQueries(RegistrationQueries, QueueQueries):
    async def load_conversation(self, key: ConversationKey) -> Conversation | None:
        data_json: str | bytes
        cached = self._conversations.get((key.channel, key.user_key))
        trust = self._cache_trust[key.channel]
        if cached is not None and trust.trusted:
            cached.served = True
            flow, state, data_json = cached.flow, cached.state, cached.data
            version, updated = cached.version, cached.updated_at
        else:
            row = await self._db.fetchrow(_LOAD, key.channel, key.user_key)
            if cached is not None:  # the copy not used is judged by what was read instead
                trust.judge(row is not None and row[3] == cached.version)
            if row is None:
                return None
            flow, state, data_json, version, updated = row[0], row[1], row[2], row[3], row[4]
        data = load_json(data_json)  # a fresh copy: the caller may change it freely
        return Conversation(
            key=key,
            flow=flow,
            state=state,
            language=data.get("language"),
            slots=data.get("slots", {}),
            history=data.get("history", []),
            failures=data.get("failures", 0),
            version=version,
            updated_at=from_micros(updated),
        )

    async def apply(self, unit: Unit) -> None:
        """All of the unit or none of it. On success the unit's conversation carries its
        new version and updated_at; on a refusal it is left as it was."""
        now = self._clock()
        micros = to_micros(now)
        raw = writes.conversation_json(unit.conversation) if unit.conversation else None
        utf8 = self._db.dialect == "sqlite"
        data: writes.JsonText | None = None
        if raw is not None:
            data = bytearray(raw) if utf8 else raw.decode()
        plan = unit_statements(unit, micros, data, utf8)
        outcome = await self._db.run(plan.statements, independent=plan.independent)
        if unit.conversation is not None:
            self._judge_copy(unit.conversation, outcome.refused)
        if outcome.refused is not None:
            if unit.conversation is not None:
                self._conversations.drop(_cache_key(unit.conversation.key))
            raise await self._refusal_error(outcome.refused)
        if plan.issued_at:
            unit.issued = [ticket_of(outcome.rows[at][0]) for at in plan.issued_at]
        if unit.forget is not None:
            await self._conversations_dropped(dropped_payload(unit.forget))
        if unit.conversation is not None:
            conv = unit.conversation
            conv.version = writes.first_version(micros) if conv.version == 0 else conv.version + 1
            conv.updated_at = now
            self._remember(conv, raw or b"{}", micros)

    def _judge_copy(self, conv: Conversation, refused: Refusal | None) -> None:
        """A turn computed from this process's copy: its save says whether the copy was
        still the database's (a refusal for another reason says nothing of it)."""
        cached = self._conversations.get(_cache_key(conv.key))
        if cached is None or not cached.served or cached.version != conv.version:
            return
        cached.served = False
        if refused is None or refused.reason == writes.VERSION:
            self._cache_trust[conv.key.channel].judge(refused is None)

    def _remember(self, conv: Conversation, data: bytes, micros: int) -> None:
        """Kept as UTF-8 JSON: a str holding one Cyrillic letter takes two bytes for every
        character, UTF-8 one byte for most."""
        key = _cache_key(conv.key)
        copy = CachedConversation(conv.flow, conv.state, kept_bytes(data), conv.version, micros)
        self._conversations.put(key, copy)

    async def recorded_reply(self, channel: str, message_id: str) -> list[Outbound] | None:
        row = await self._db.fetchrow(
            "SELECT reply FROM processed_inbound WHERE channel = $1 AND message_id = $2",
            channel,
            message_id,
        )
        if row is None or row[0] is None:
            return None
        return [outbound_from_json(out) for out in load_json(row[0])]

    async def _refusal_error(self, refusal: Refusal) -> StoreError:
        subject = refusal.subject
        if refusal.reason == writes.VERSION:
            return VersionConflict(str(subject))
        if refusal.reason == kiosk_sessions.SESSION:
            return SessionEnded(str(subject))
        if refusal.reason == writes.DUPLICATE:
            return DuplicateInbound(":".join(subject))
        if refusal.reason in (writes.SLOT, activations.SLOT):
            return SlotFull(str(subject))
        if refusal.reason == ticket_writes.TICKET:
            return TicketChanged(int(subject), await self.get_ticket(int(subject)))
        if refusal.reason == staff_writes.INVITE:
            return InviteGone()
        return IllegalTransition(str(subject), await self.get_registration(str(subject)))


def _cache_key(key: ConversationKey) -> tuple[str, str]:
    return (key.channel, key.user_key)
