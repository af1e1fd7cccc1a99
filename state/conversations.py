"""Conversations and `apply`: everything one inbound message changes, in one transaction."""

from __future__ import annotations

from flows.messages import ConversationKey
from flows.ports import DuplicateInbound, IllegalTransition, SlotFull, StoreError, VersionConflict
from flows.records import Conversation, Unit
from state import writes
from state.db import Refusal, Statement
from state.registrations import RegistrationQueries
from state.values import from_micros, load_json, to_micros

_LOAD = (
    "SELECT flow, state, data, version, updated_at FROM conversations "
    "WHERE channel = $1 AND user_key = $2"
)


def unit_statements(unit: Unit, now: int) -> list[Statement]:
    """In this order: the inbound id first (a redelivery is reported as such, not as a
    version conflict), the forget before the save (a wipe then a fresh start)."""
    statements: list[Statement] = []
    if unit.inbound_id is not None:
        statements.append(writes.inbound_statement(*unit.inbound_id, now))
    if unit.forget is not None:
        statements.append(writes.forget_statement(unit.forget))
    if unit.conversation is not None:
        statements.append(writes.save_statement(unit.conversation, now))
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
        row = await self._db.fetchrow(_LOAD, key.channel, key.user_key)
        if row is None:
            return None
        data = load_json(row[2])
        return Conversation(
            key=key,
            flow=row[0],
            state=row[1],
            language=data.get("language"),
            slots=data.get("slots", {}),
            history=data.get("history", []),
            failures=data.get("failures", 0),
            version=row[3],
            updated_at=from_micros(row[4]),
        )

    async def apply(self, unit: Unit) -> None:
        """All of the unit or none of it. On success the unit's conversation carries its
        new version and updated_at; on a refusal it is left as it was."""
        now = self._clock()
        outcome = await self._db.run(unit_statements(unit, to_micros(now)))
        if outcome.refused is not None:
            raise await self._refusal_error(outcome.refused)
        if unit.conversation is not None:
            unit.conversation.version += 1
            unit.conversation.updated_at = now

    async def _refusal_error(self, refusal: Refusal) -> StoreError:
        subject = refusal.subject
        if refusal.reason == writes.VERSION:
            return VersionConflict(str(subject))
        if refusal.reason == writes.DUPLICATE:
            return DuplicateInbound(":".join(subject))
        if refusal.reason == writes.SLOT:
            return SlotFull(str(subject))
        return IllegalTransition(str(subject), await self.get_registration(str(subject)))
