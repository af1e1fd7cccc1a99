"""What the built-in account provider keeps: one username per registration, and the
salted hash of its current activation code. Accounts are created by an approval's unit
(state/writes.py)."""

from __future__ import annotations

from datetime import datetime

from flows.engine.ports import StoreError
from state.base import StoreBase
from state.values import maybe_datetime, to_micros


class UnknownAccount(StoreError):
    """No account has this username."""


class AccountQueries(StoreBase):
    async def account_of(self, ref: str) -> str | None:
        row = await self._db.fetchrow("SELECT username FROM accounts WHERE ref = $1", ref)
        return None if row is None else str(row[0])

    async def set_activation_hash(self, username: str, code_hash: str, now: datetime) -> None:
        """Replaces the earlier code's hash: only the newest code activates."""
        changed = await self._db.execute(
            "UPDATE accounts SET activation_hash = $2, activation_at = $3 WHERE username = $1",
            username,
            code_hash,
            to_micros(now),
        )
        if changed == 0:
            raise UnknownAccount(username)

    async def activation_hash(self, username: str) -> str | None:
        row = await self._db.fetchrow(
            "SELECT activation_hash FROM accounts WHERE username = $1", username
        )
        return None if row is None else row[0]

    async def activation_issued_at(self, username: str) -> datetime | None:
        row = await self._db.fetchrow(
            "SELECT activation_at FROM accounts WHERE username = $1", username
        )
        return None if row is None else maybe_datetime(row[0])
