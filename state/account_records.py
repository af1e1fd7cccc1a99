"""What the built-in account provider keeps: one username per registration, and the
salted hash of its current activation code."""

from __future__ import annotations

from datetime import datetime

from flows.ports import StoreError
from state.base import StoreBase
from state.db import Statement
from state.values import to_micros


class UsernameTaken(StoreError):
    """Another registration's account already has this username."""


class UnknownAccount(StoreError):
    """No account has this username."""


class AccountQueries(StoreBase):
    async def save_account(self, ref: str, username: str) -> str:
        """Idempotent per ref: the username saved for it before wins. Raises UsernameTaken
        when the username belongs to another registration's account."""
        outcome = await self._db.run(
            [
                Statement(
                    "INSERT INTO accounts (ref, username, created_at) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING",
                    (ref, username, to_micros(self._clock())),
                ),
                Statement("SELECT username FROM accounts WHERE ref = $1", (ref,), rows=True),
            ]
        )
        saved = outcome.rows[1]
        if not saved:
            raise UsernameTaken(username)
        return str(saved[0][0])

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
