"""Web chat sessions (flows.engine.ports.WebSessionStore): ids the server gave, kept as hashes.

A session id lives in the browser's cookie; the store keeps only its SHA-256, with the
conversation key it opens (never sent to the browser). Replacing an id (when an officer
enrolls) keeps the conversation and makes the old id refused, so an id someone planted or
saw before the enrollment opens nothing afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from flows.engine.records import WebSession
from state.base import StoreBase
from state.db import Refusal, Statement
from state.values import from_micros, to_micros


class WebSessionQueries(StoreBase):
    async def add_web_session(self, token_hash: str, user_key: str) -> None:
        now = to_micros(self._clock())
        await self._db.execute(
            "INSERT INTO webchat_sessions (token_hash, user_key, created_at, touched_at) "
            "VALUES ($1, $2, $3, $3)",
            token_hash,
            user_key,
            now,
        )

    async def web_session(
        self, token_hash: str, touch_every: timedelta | None = None
    ) -> WebSession | None:
        row = await self._db.fetchrow(
            "SELECT user_key, touched_at FROM webchat_sessions WHERE token_hash = $1", token_hash
        )
        if row is None:
            return None
        session = WebSession(row[0], from_micros(row[1]))
        now = self._clock()
        if touch_every is not None and session.user_key and session.touched_at < now - touch_every:
            await self._db.execute(
                "UPDATE webchat_sessions SET touched_at = $2 "
                "WHERE token_hash = $1 AND touched_at < $2",
                token_hash,
                to_micros(now),
            )
        return session

    async def replace_web_session(self, old_hash: str, new_hash: str) -> bool:
        """The new id opens the old one's conversation; the old id is refused from now on
        (kept, without its key, until forgotten). False: the old id was not valid."""
        now = to_micros(self._clock())
        outcome = await self._db.run(
            [
                Statement(
                    "INSERT INTO webchat_sessions (token_hash, user_key, created_at, touched_at) "
                    "SELECT CAST($2 AS TEXT), user_key, CAST($3 AS BIGINT), CAST($3 AS BIGINT) "
                    "FROM webchat_sessions WHERE token_hash = $1 AND user_key IS NOT NULL",
                    (old_hash, new_hash, now),
                    refuse=Refusal("replaced", old_hash),
                ),
                Statement(
                    "UPDATE webchat_sessions SET user_key = NULL, touched_at = $2 "
                    "WHERE token_hash = $1 AND user_key IS NOT NULL",
                    (old_hash, now),
                    refuse=Refusal("replaced", old_hash),
                ),
            ]
        )
        return outcome.refused is None

    async def forget_web_sessions(self, untouched_for: timedelta, replaced_for: timedelta) -> int:
        """Sessions nobody used for `untouched_for`, and replaced ids after `replaced_for`."""
        now = self._clock()
        return await self._db.execute(
            "DELETE FROM webchat_sessions WHERE touched_at < $1 "
            "OR (user_key IS NULL AND touched_at < $2)",
            to_micros(now - untouched_for),
            to_micros(now - replaced_for),
        )
