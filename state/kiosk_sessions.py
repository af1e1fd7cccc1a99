"""Kiosk sessions (flows.engine.ports.KioskSessionStore): any process can answer any kiosk tap.

A session moves on only inside a message's unit (`step_statement`, the unit's first
statement), at the seq the request read: two requests of one session never both count,
and a unit whose session the sweep wiped meanwhile is refused as a whole. The wipe deletes
the session and its conversation in one transaction; the idle wipe only if the session is
still idle then, so a turn that committed meanwhile (it marks the session seen) wins.
What a session shows is the reply recorded with its last message (processed_inbound).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flows.engine.messages import ConversationKey, SessionStep
from flows.engine.records import KioskSession
from state import writes
from state.base import StoreBase
from state.db import Refusal, Row, Statement
from state.values import dump_json, from_micros, load_json, to_micros
from state.wakeups import dropped_payload

_COLUMNS = "token, hall, channel, user_key, seq, language, last_request, last_seen"
_SEEN = "seen"
SESSION = "kiosk_session"  # a unit's session moved on or went: refused (SessionEnded)
ORPHANS_PER_SWEEP = 500


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else dump_json(value)


def _maybe(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(load_json(text))


def _session(row: Row) -> KioskSession:
    return KioskSession(
        token=row[0],
        hall=row[1],
        key=ConversationKey(row[2], row[3]),
        seq=row[4],
        language=row[5],
        last_request=_maybe(row[6]),
        last_seen=from_micros(row[7]),
    )


def _insert(session: KioskSession, now: int) -> Statement:
    return Statement(
        f"INSERT INTO kiosk_sessions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        (
            session.token,
            session.hall,
            session.key.channel,
            session.key.user_key,
            session.seq,
            session.language,
            _json(session.last_request),
            now,
        ),
    )


def step_statement(step: SessionStep, language: str | None, now: int) -> Statement:
    """A message's unit moves its kiosk session on, only from the seq the request read.
    First in the unit: it takes the session's row before anything else, as the sweep's
    wipe does, so the two are never each waiting for the other (PostgreSQL)."""
    return Statement(
        "UPDATE kiosk_sessions SET seq = $2, language = COALESCE($3, language), "
        "last_request = $4, last_seen = $5 WHERE token = $1 AND seq = $6",
        (step.token, step.seq, language, dump_json(step.request), now, step.read_seq),
        refuse=Refusal(SESSION, step.token),
    )


class KioskSessionQueries(StoreBase):
    async def _dropped(self, keys: list[ConversationKey], deleted: bool = True) -> None:
        """Deleted conversations: no process keeps a copy in its cache."""
        for key in keys:
            if deleted:
                await self._conversations_dropped(dropped_payload(key))
            else:
                self._conversations.drop((key.channel, key.user_key))

    async def add_kiosk_session(self, session: KioskSession) -> None:
        now = self._clock()
        insert = _insert(session, to_micros(now))
        await self._db.execute(insert.sql, *insert.args)
        session.last_seen = now

    async def kiosk_session(
        self, token: str, touch_every: timedelta | None = None
    ) -> KioskSession | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM kiosk_sessions WHERE token = $1", token
        )
        if row is None:
            return None
        session = _session(row)
        now = self._clock()
        if touch_every is not None and session.last_seen and session.last_seen < now - touch_every:
            # Conditional: never moves last_seen back past a later touch.
            touched = await self._db.execute(
                "UPDATE kiosk_sessions SET last_seen = $2 WHERE token = $1 AND last_seen < $2",
                token,
                to_micros(now),
            )
            if touched:
                session.last_seen = now
        return session

    async def forget_kiosk_session(
        self,
        session: KioskSession,
        inbound_ids: Sequence[str] = (),
        idle_for: timedelta | None = None,
        successor: KioskSession | None = None,
    ) -> bool:
        now = self._clock()
        if idle_for is None:
            drop = Statement(
                "DELETE FROM kiosk_sessions WHERE token = $1 AND hall = $2",
                (session.token, session.hall),
            )
        else:
            drop = Statement(
                "DELETE FROM kiosk_sessions WHERE token = $1 AND hall = $2 AND last_seen < $3",
                (session.token, session.hall, to_micros(now - idle_for)),
                refuse=Refusal(_SEEN, session.token),
            )
        statements = [drop, writes.forget_statement(session.key)]
        if inbound_ids:
            statements.append(
                Statement(
                    "DELETE FROM processed_inbound WHERE channel = $1 AND message_id = $2",
                    many=[(session.key.channel, message_id) for message_id in inbound_ids],
                )
            )
        if successor is not None:
            statements.append(_insert(successor, to_micros(now)))
        outcome = await self._db.run(statements)
        if outcome.refused is not None:
            return False
        if successor is not None:
            successor.last_seen = now
        await self._dropped([session.key], deleted=outcome.counts[1] > 0)
        return outcome.counts[0] + outcome.counts[1] > 0

    async def idle_kiosk_sessions(self, idle_for: timedelta, limit: int) -> list[KioskSession]:
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM kiosk_sessions WHERE last_seen < $1 "
            "ORDER BY last_seen, token LIMIT $2",
            to_micros(self._clock() - idle_for),
            limit,
        )
        return [_session(row) for row in rows]

    async def forget_idle_kiosk_conversations(self, channel: str, idle_for: timedelta) -> int:
        rows = await self._db.fetch(
            "SELECT user_key FROM conversations c WHERE channel = $1 AND updated_at < $2 "
            "AND NOT EXISTS (SELECT 1 FROM kiosk_sessions s "
            "WHERE s.channel = c.channel AND s.user_key = c.user_key) LIMIT $3",
            channel,
            to_micros(self._clock() - idle_for),
            ORPHANS_PER_SWEEP,
        )
        keys = [ConversationKey(channel, row[0]) for row in rows]
        if not keys:
            return 0
        outcome = await self._db.run([writes.forget_statement(key) for key in keys])
        await self._dropped(keys)
        return sum(outcome.counts)
