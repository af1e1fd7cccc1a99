"""Conversations and `apply`: everything one inbound message changes, in one transaction."""

from __future__ import annotations

from flows.messages import ConversationKey
from flows.ports import DuplicateInbound, IllegalTransition, SlotFull, StoreError, VersionConflict
from flows.records import Conversation, Unit
from state import writes
from state.base import CACHE_SIZE
from state.db import Refusal, Statement
from state.registrations import RegistrationQueries
from state.values import from_micros, load_json, to_micros

_LOAD = (
    "SELECT flow, state, data, version, updated_at FROM conversations "
    "WHERE channel = $1 AND user_key = $2"
)


def unit_statements(unit: Unit, now: int, data: str | None = None) -> list[Statement]:
    """In this order: the inbound id first (a redelivery is reported as such, not as a
    version conflict), the forget before the save (a wipe then a fresh start)."""
    statements: list[Statement] = []
    if unit.inbound_id is not None:
        statements.append(writes.inbound_statement(*unit.inbound_id, now))
    if unit.forget is not None:
        statements.append(writes.forget_statement(unit.forget))
    if unit.conversation is not None:
        statements.append(writes.save_statement(unit.conversation, now, data))
    if unit.new_registration is not None:
        statements += writes.registration_statements(unit.new_registration, unit.capacity)
    if unit.links:
        statements.append(writes.links_statement(unit.links))
    for move in unit.transitions:
        statements.append(writes.transition_statement(move, now))
    for change in unit.visit_changes:
        statements += writes.visit_change_statements(change, now)
    if unit.effects:
        statements.append(writes.effects_statement(unit.effects, now))
    if unit.print_jobs:
        statements.append(writes.print_jobs_statement(unit.print_jobs, now))
    if unit.audit:
        statements.append(writes.audit_statement(unit.audit, now))
    return statements


class ConversationQueries(RegistrationQueries):
    async def load_conversation(self, key: ConversationKey) -> Conversation | None:
        cached = self._conversations.get((key.channel, key.user_key))
        if cached is not None:
            flow, state, data_json, version, updated = cached
        else:
            row = await self._db.fetchrow(_LOAD, key.channel, key.user_key)
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
        data = writes.conversation_data(unit.conversation) if unit.conversation else None
        outcome = await self._db.run(unit_statements(unit, micros, data))
        if outcome.refused is not None:
            if unit.conversation is not None:
                self._conversations.pop(_cache_key(unit.conversation.key), None)
            raise await self._refusal_error(outcome.refused)
        if unit.forget is not None:
            self._conversations.pop(_cache_key(unit.forget), None)
        if unit.conversation is not None:
            conv = unit.conversation
            conv.version += 1
            conv.updated_at = now
            self._remember(conv, data or "{}", micros)

    def _remember(self, conv: Conversation, data: str, micros: int) -> None:
        key = _cache_key(conv.key)
        self._conversations[key] = (conv.flow, conv.state, data, conv.version, micros)
        self._conversations.move_to_end(key)
        if len(self._conversations) > CACHE_SIZE:
            self._conversations.popitem(last=False)

    async def _refusal_error(self, refusal: Refusal) -> StoreError:
        subject = refusal.subject
        if refusal.reason == writes.VERSION:
            return VersionConflict(str(subject))
        if refusal.reason == writes.DUPLICATE:
            return DuplicateInbound(":".join(subject))
        if refusal.reason == writes.SLOT:
            return SlotFull(str(subject))
        return IllegalTransition(str(subject), await self.get_registration(str(subject)))


def _cache_key(key: ConversationKey) -> tuple[str, str]:
    return (key.channel, key.user_key)
