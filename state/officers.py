"""Officers and their one-time enrollment invites. Redeeming an invite and taking a
counter are written by a message's unit (state/writes.py)."""

from __future__ import annotations

from flows.messages import ConversationKey
from flows.records import Officer, OfficerInvite
from state.base import StoreBase
from state.db import Row
from state.values import from_micros, to_micros

_COLUMNS = "id, name, hall, counter, channel, user_key, active, created_at"


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
    )


class OfficerQueries(StoreBase):
    async def add_invite(self, invite: OfficerInvite) -> None:
        """A second invite with the same code hash replaces the first."""
        await self._db.execute(
            "INSERT INTO officer_invites (code_hash, name, hall, expires_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (code_hash) DO UPDATE SET "
            "name = excluded.name, hall = excluded.hall, expires_at = excluded.expires_at",
            invite.code_hash,
            invite.name,
            invite.hall,
            to_micros(invite.expires_at),
        )

    async def invite(self, code_hash: str) -> OfficerInvite | None:
        row = await self._db.fetchrow(
            "SELECT code_hash, name, hall, expires_at FROM officer_invites WHERE code_hash = $1",
            code_hash,
        )
        if row is None:
            return None
        return OfficerInvite(row[0], row[1], row[2], from_micros(row[3]))

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

    async def revoke_officer(self, officer_id: int) -> bool:
        """True if the officer was active until now."""
        changed = await self._db.execute(
            "UPDATE officers SET active = 0, counter = NULL WHERE id = $1 AND active = 1",
            officer_id,
        )
        return changed > 0
