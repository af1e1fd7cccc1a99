"""Kiosk sessions: who is standing at the screen now, known by a random cookie token.

Sessions live in the store (flows.engine.ports.KioskSessionStore), so any server process can
answer any kiosk request, and none is lost when a process restarts. Requests of one session
are taken one at a time in this process (a lock per token); across processes a session
moves on only in the unit of a message, at the number the request read it at, so the
second of two racing requests is answered with what the first one did, and a turn whose
session the sweep wiped meanwhile writes nothing. At the wipe the session, its conversation and its
message ids are deleted together: the next citizen gets a new token, so nothing of the
previous one can be reached with the old cookie. A process remembers where it left each
session (its number and language, nothing personal) so that the next message of it is
taken without reading the session first: the unit's condition on that number is the
check, and a session that changed elsewhere is read when the unit is refused. Sessions
whose page went silent are wiped from the database by every process's sweep, and at
start-up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from flows.engine.channel_ports import ChannelTraits
from flows.engine.messages import ConversationKey
from flows.engine.records import KioskSession
from flows.engine.session_ports import KioskSessionStore

log = logging.getLogger(__name__)

KIOSK_CHANNEL = "kiosk"
# token_urlsafe never produces ":", so the hall code can be read back from the user key.
KEY_SEPARATOR = ":"
# Reading a session marks it as seen now at most this often (a page polling a slip's status
# would otherwise write at every poll); far below the idle limits it is measured against.
TOUCH_EVERY = timedelta(seconds=5)
SWEEP_BATCH = 500
# Sessions whose number this process last saw (a few dozen bytes each, nothing personal).
KNOWN_SESSIONS = 4096


def conversation_key(hall: str, token: str) -> ConversationKey:
    return ConversationKey(KIOSK_CHANNEL, f"{hall}{KEY_SEPARATOR}{token}")


def hall_of(key: ConversationKey) -> str | None:
    """The hall a kiosk conversation belongs to (for the engine: tickets, printer)."""
    if key.channel != KIOSK_CHANNEL or KEY_SEPARATOR not in key.user_key:
        return None
    return key.user_key.split(KEY_SEPARATOR, 1)[0]


class KioskChannel:
    """What the kiosk answers the engine (flows.engine.ports.ChannelPort): a touch screen in
    the hall its session names, one person after another, wiped after each; no link can be
    opened on it and nobody can be reached there later."""

    traits = ChannelTraits(
        opens_links=False, on_own_phone=False, reachable_later=False, shared_screen=True
    )

    def hall_of(self, key: ConversationKey) -> str | None:
        return hall_of(key)


def message_id(token: str, seq: int) -> str:
    """The engine's message id of a session's seq-th message (applied once only)."""
    return f"{token}:{seq}"


def _message_ids(session: KioskSession) -> list[str]:
    return [message_id(session.token, seq) for seq in range(1, session.seq + 1)]


@dataclass(frozen=True, slots=True)
class Known:
    """Where a session was when this process last saw it: only a cache (module docstring)."""

    hall: str
    seq: int
    language: str | None


class KioskSessions:
    def __init__(self, store: KioskSessionStore, touch_every: timedelta = TOUCH_EVERY) -> None:
        self._store = store
        self._touch_every = touch_every
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._wiped = False  # since the last erase_for_good: what was deleted may be on disk
        self._known: OrderedDict[str, Known] = OrderedDict()

    def remember(self, session: KioskSession) -> None:
        self._known[session.token] = Known(session.hall, session.seq, session.language)
        self._known.move_to_end(session.token)
        if len(self._known) > KNOWN_SESSIONS:
            self._known.popitem(last=False)

    def forget(self, token: str) -> None:
        self._known.pop(token, None)

    async def for_message(self, hall: str, token: str | None, seq: int) -> KioskSession | None:
        """The session a message is for. When this process took the message before it, the
        session is as it left it, unread: the turn's unit moves it on only from that number
        (a sweep or another process that changed it meanwhile refuses the unit, and the
        session is read then). Anything else (a repeat, a jump, a session never seen
        here) is read from the store."""
        known = self._known.get(token) if token else None
        if token and known is not None and known.hall == hall and seq == known.seq + 1:
            key = conversation_key(hall, token)
            return KioskSession(token, hall, key, seq=known.seq, language=known.language)
        return await self.get(hall, token, touch=False)

    async def new(self, hall: str) -> KioskSession:
        token = secrets.token_urlsafe(24)
        session = KioskSession(token=token, hall=hall, key=conversation_key(hall, token))
        await self._store.add_kiosk_session(session)
        self.remember(session)
        return session

    def unsaved(self, hall: str) -> KioskSession:
        """A fresh session the store could not keep (it is away): the page starts over with
        it, and the next request finds no such session and makes a real one."""
        token = secrets.token_urlsafe(24)
        return KioskSession(token=token, hall=hall, key=conversation_key(hall, token))

    async def get(self, hall: str, token: str | None, touch: bool = True) -> KioskSession | None:
        """`touch`: marked as seen now (now and then); a message needs none, its unit does it."""
        if not token:
            return None
        touch_every = self._touch_every if touch else None
        session = await self._store.kiosk_session(token, touch_every=touch_every)
        if session is None or session.hall != hall:
            self.forget(token)
            return None
        self.remember(session)
        return session

    def lock(self, token: str) -> asyncio.Lock:
        """This process's requests of one session, one at a time (kept while in use)."""
        lock = self._locks.get(token)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[token] = lock
        return lock

    async def touch(self, hall: str, token: str | None) -> bool:
        """The page is in use (someone typing): marked as seen now. False: no session."""
        if not token:
            return False
        session = await self._store.kiosk_session(token, touch_every=timedelta(0))
        return session is not None and session.hall == hall

    def ghost(self, hall: str, token: str) -> KioskSession:
        """The session a cookie token with no session stands for (wiped, swept, or made
        up): its conversation may still hold someone's answers if a turn raced the wipe."""
        return KioskSession(token=token, hall=hall, key=conversation_key(hall, token))

    async def replace(self, hall: str, gone: KioskSession | None) -> KioskSession:
        """A new session for the next person, made in the one transaction that wipes the
        previous one (its conversation and message ids with it)."""
        if gone is None:
            return await self.new(hall)
        self.forget(gone.token)
        fresh = self.unsaved(hall)
        wiped = await self._store.forget_kiosk_session(gone, _message_ids(gone), successor=fresh)
        self._wiped = self._wiped or wiped
        self.remember(fresh)
        return fresh

    async def erase_for_good(self) -> None:
        """What the wipes deleted leaves the database file too (SQLite: its log emptied),
        once per round of the sweep rather than at every wipe."""
        if self._wiped:
            self._wiped = False
            await self._store.erase_for_good()

    async def sweep(self, quiet: timedelta) -> int:
        """Wipe every session silent for `quiet` (its page is gone or died), and kiosk
        conversations left without a session; returns how many sessions were wiped."""
        wiped = 0
        for session in await self._store.idle_kiosk_sessions(quiet, SWEEP_BATCH):
            if await self._store.forget_kiosk_session(
                session, _message_ids(session), idle_for=quiet
            ):
                self.forget(session.token)
                wiped += 1
        orphans = await self._store.forget_idle_kiosk_conversations(KIOSK_CHANNEL, quiet)
        self._wiped = self._wiped or bool(wiped or orphans)
        await self.erase_for_good()
        return wiped
