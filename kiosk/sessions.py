"""Kiosk sessions: who is standing at the screen now, known by a random cookie token.

A session lives in this process's memory only (a kiosk talks to one server process;
behind several processes, route each kiosk to the same one). It holds no personal data of
its own beyond the last screen shown, and it is forgotten at the wipe: the next citizen
gets a new token, so nothing of the previous one can be reached with the old cookie.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows.messages import ConversationKey

KIOSK_CHANNEL = "kiosk"
# token_urlsafe never produces ":", so the hall code can be read back from the user key.
KEY_SEPARATOR = ":"


def conversation_key(hall: str, token: str) -> ConversationKey:
    return ConversationKey(KIOSK_CHANNEL, f"{hall}{KEY_SEPARATOR}{token}")


def hall_of(key: ConversationKey) -> str | None:
    """The hall a kiosk conversation belongs to (for the engine: tickets, printer)."""
    if key.channel != KIOSK_CHANNEL or KEY_SEPARATOR not in key.user_key:
        return None
    return key.user_key.split(KEY_SEPARATOR, 1)[0]


@dataclass(slots=True)
class KioskSession:
    token: str
    hall: str
    last_seen: float
    seq: int = 0  # messages processed in this session; the next one must carry seq + 1
    language: str | None = None
    screen: dict[str, Any] | None = None  # None: the language screen
    last_request: dict[str, Any] | None = None
    last_response: dict[str, Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def key(self) -> ConversationKey:
        return conversation_key(self.hall, self.token)

    @property
    def touched(self) -> bool:
        """Something reached the engine: there is a server-side conversation to wipe."""
        return self.seq > 0


class KioskSessions:
    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self._clock = clock
        self._limit = limit
        self._by_token: dict[str, KioskSession] = {}

    def __len__(self) -> int:
        return len(self._by_token)

    def new(self, hall: str) -> tuple[KioskSession, list[KioskSession]]:
        """A fresh session, and the oldest ones pushed out to stay under the limit (the
        caller wipes those)."""
        evicted: list[KioskSession] = []
        while len(self._by_token) >= self._limit:
            oldest = min(self._by_token.values(), key=lambda s: s.last_seen)
            evicted.append(self._by_token.pop(oldest.token))
        token = secrets.token_urlsafe(24)
        session = KioskSession(token=token, hall=hall, last_seen=self._clock())
        self._by_token[token] = session
        return session, evicted

    def get(self, hall: str, token: str | None) -> KioskSession | None:
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None or session.hall != hall:
            return None
        session.last_seen = self._clock()
        return session

    def drop(self, session: KioskSession) -> None:
        self._by_token.pop(session.token, None)

    def idle_since(self, seconds: float) -> list[KioskSession]:
        """Sessions nobody touched for `seconds` (their page is gone or died)."""
        cutoff = self._clock() - seconds
        return [s for s in self._by_token.values() if s.last_seen < cutoff]
