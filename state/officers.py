"""Officers and their one-time enrollment invites, revocation, and the count of wrong
enrollment codes. Redeeming an invite, taking a counter and counting a wrong code are
written by a message's unit (state/staff_writes.py)."""

from __future__ import annotations

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from flows.engine.records import Officer, OfficerInvite, Revocation, Throttle
from state.base import StoreBase
from state.db import Refusal, Row, Statement
from state.values import from_micros, maybe_datetime, to_micros

_COLUMNS = "id, name, hall, counter, channel, user_key, active, created_at, supervisor"


def _officer(row: Row) -> Officer:
    return Officer(
        id=row[0],
        name=row[1],
        hall=row[2],
        counter=row[3],
        channel=row[4],
        user_key=row[5],
        active=bool(row[6]),
        created_at=from_micros(row[7]),
        supervisor=bool(row[8]),
    )


class OfficerQueries(StoreBase):
    async def add_invite(self, invite: OfficerInvite) -> None:
        """A second invite with the same code hash replaces the first."""
        await self._db.execute(
            "INSERT INTO officer_invites (code_hash, name, hall, expires_at, supervisor) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code_hash) DO UPDATE SET "
            "name = excluded.name, hall = excluded.hall, expires_at = excluded.expires_at, "
            "supervisor = excluded.supervisor",
            invite.code_hash,
            invite.name,
            invite.hall,
            to_micros(invite.expires_at),
            int(invite.supervisor),
        )

    async def invite(self, code_hash: str) -> OfficerInvite | None:
        row = await self._db.fetchrow(
            "SELECT code_hash, name, hall, expires_at, supervisor FROM officer_invites "
            "WHERE code_hash = $1",
            code_hash,
        )
        if row is None:
            return None
        return OfficerInvite(row[0], row[1], row[2], from_micros(row[3]), bool(row[4]))

    async def officer_for(self, key: ConversationKey) -> Officer | None:
        """Active officers only: a revoked officer's chat is an ordinary chat again."""
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM officers WHERE channel = $1 AND user_key = $2 AND active = 1",
            key.channel,
            key.user_key,
        )
        return None if row is None else _officer(row)

    async def officer(self, officer_id: int) -> Officer | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM officers WHERE id = $1", officer_id)
        return None if row is None else _officer(row)

    async def officers(self, hall: str | None = None) -> list[Officer]:
        """Revoked officers included (see `active`), by id."""
        if hall is None:
            rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM officers ORDER BY id")
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM officers WHERE hall = $1 ORDER BY id", hall
            )
        return [_officer(row) for row in rows]

    async def revoke_officer(self, officer_id: int, actor: str = "operator") -> Revocation | None:
        """In one transaction: the officer is inactive (their very next message finds it),
        leaves their counter, and every registration they held in review goes back to the
        waiting list, audited with the revocation."""
        now = to_micros(self._clock())
        held = f"status = '{RegistrationStatus.IN_REVIEW}' AND officer_id = $1"
        outcome = await self._db.run(
            [
                Statement(
                    "UPDATE officers SET active = 0, counter = NULL WHERE id = $1 AND active = 1",
                    (officer_id,),
                    refuse=Refusal("inactive", officer_id),
                ),
                Statement(
                    "INSERT INTO audit_log (at, actor, action, ref, detail) "
                    "VALUES ($1, $2, 'revoke', NULL, $3)",
                    (now, actor, f"officer:{officer_id}"),
                ),
                Statement(
                    "INSERT INTO audit_log (at, actor, action, ref, detail) "
                    "SELECT CAST($2 AS BIGINT), CAST($3 AS TEXT), 'release', ref, "
                    f"CAST($4 AS TEXT) FROM registrations WHERE {held}",
                    (officer_id, now, actor, f"revoked officer:{officer_id}"),
                ),
                Statement(
                    f"UPDATE registrations SET status = '{RegistrationStatus.CHECKED_IN}', "
                    f"officer_id = NULL, updated_at = $2 WHERE {held} RETURNING ref",
                    (officer_id, now),
                    rows=True,
                ),
            ]
        )
        if outcome.refused is not None:
            return None
        return Revocation(officer_id, tuple(sorted(str(row[0]) for row in outcome.rows[-1])))

    async def throttle(self, scope: str) -> Throttle:
        row = await self._db.fetchrow(
            "SELECT failures, last_at, blocked_until FROM enrollment_failures WHERE scope = $1",
            scope,
        )
        if row is None:
            return Throttle(scope)
        return Throttle(scope, int(row[0]), maybe_datetime(row[1]), maybe_datetime(row[2]))
