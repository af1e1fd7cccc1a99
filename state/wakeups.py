"""Cross-process wake-ups (flows.engine.ports.Wakeups): "something changed, look again".

PostgreSQL: NOTIFY through the database; each store LISTENs on one dedicated connection
(asyncpg's add_listener; a pooled connection would lose its LISTENs when handed back),
which a supervisor checks now and then and opens again when it is lost, telling every
listener (with None) that notices may have been missed. Channel names carry the schema,
so two installations (or two tests) sharing one database do not wake each other.
SQLite is served by one process: the notice goes straight to the listeners in memory, to
those of every store of this process on the same database file.

A notice is only a hint. Listeners re-read the database on it, and on a timer of their
own too, so a notice lost on the way delays a change but never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flows.engine.messages import ConversationKey
from flows.engine.session_ports import WakeupCallback

if TYPE_CHECKING:
    from state.db import Database
    from state.postgres import PostgresDatabase

log = logging.getLogger(__name__)

CHECK_SECONDS = 10.0  # how often the listening connection is asked whether it still lives
RETRY_SECONDS = 1.0  # how soon a lost one is opened again
_MAX_NAME = 63  # PostgreSQL identifiers (NAMEDATALEN - 1)

# Conversations deleted (a kiosk wipe, a purge): every process drops its cached copy, so
# nothing erased lives on in memory. Payload: dropped_payload(key), or "" for all of them.
CONVERSATIONS_DROPPED = "conversations_dropped"


def dropped_payload(key: ConversationKey | None) -> str:
    return "" if key is None else f"{key.channel}\n{key.user_key}"


def dropped_key(payload: str | None) -> tuple[str, str] | None:
    """The cache key a CONVERSATIONS_DROPPED payload names; None: drop them all."""
    if not payload or "\n" not in payload:
        return None
    channel, user_key = payload.split("\n", 1)
    return channel, user_key


class _Listeners:
    def __init__(self) -> None:
        self._by_channel: dict[str, list[WakeupCallback]] = {}

    def add(self, channel: str, callback: WakeupCallback) -> Callable[[], None]:
        self._by_channel.setdefault(channel, []).append(callback)

        def stop() -> None:
            callbacks = self._by_channel.get(channel, [])
            if callback in callbacks:
                callbacks.remove(callback)

        return stop

    def channels(self) -> list[str]:
        return list(self._by_channel)

    def call(self, channel: str, payload: str | None) -> None:
        for callback in list(self._by_channel.get(channel, ())):
            try:
                callback(payload)
            except Exception:  # one listener's fault must not starve the others
                log.exception("wake-up listener on %s failed", channel)

    def call_all(self, payload: str | None) -> None:
        for channel in self.channels():
            self.call(channel, payload)


# The listeners of each SQLite file in this process (while a store has it open).
_BY_FILE: weakref.WeakValueDictionary[str, _Listeners] = weakref.WeakValueDictionary()


class LocalWakeups:
    """One process (SQLite): notices go to the listeners directly."""

    def __init__(self, db: Database | None = None) -> None:
        self._db = db
        self._shared: _Listeners | None = None
        self._stops: list[Callable[[], None]] = []

    async def _listeners(self) -> _Listeners:
        if self._shared is None:
            path = ""
            if self._db is not None:
                rows = await self._db.fetch("PRAGMA database_list")
                path = next((str(row[2]) for row in rows if row[1] == "main"), "")
            if not path:  # in memory: a database of this store's own
                self._shared = _Listeners()
            else:  # SQLite gives the file's absolute path
                self._shared = _BY_FILE.get(path) or _BY_FILE.setdefault(path, _Listeners())
        return self._shared

    async def notify(self, channel: str, payload: str) -> None:
        try:
            listeners = await self._listeners()
        except Exception as exc:  # the store is closing: nobody is left to wake
            log.warning("wake-up on %s not sent: %s", channel, type(exc).__name__)
            return
        listeners.call(channel, payload)

    async def listen(self, channel: str, callback: WakeupCallback) -> Callable[[], None]:
        stop = (await self._listeners()).add(channel, callback)
        self._stops.append(stop)
        return stop

    async def close(self) -> None:
        for stop in self._stops:
            stop()
        self._stops.clear()


class PostgresWakeups:
    def __init__(
        self,
        db: PostgresDatabase,
        check_seconds: float = CHECK_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._db = db
        self._listeners = _Listeners()
        self._check_seconds = check_seconds
        self._retry_seconds = retry_seconds
        self._prefix: str | None = None
        self._names: dict[str, str] = {}  # PostgreSQL channel name -> ours
        self._conn: Any = None  # the listening connection, while it is open
        self._lost = asyncio.Event()  # set by asyncpg when that connection ends
        self._conn_lock = asyncio.Lock()  # one operation at a time on it
        self._supervisor: asyncio.Task[None] | None = None
        self._first_try = asyncio.Event()
        self._closed = False

    async def _name(self, channel: str) -> str:
        if self._prefix is None:
            row = await self._db.fetchrow("SELECT current_schema()")
            self._prefix = f"ecitizen.{row[0] if row else ''}."
        name = self._prefix + channel
        if len(name.encode()) > _MAX_NAME:
            name = "ecitizen." + hashlib.sha256(name.encode()).hexdigest()[:40]
        self._names[name] = channel
        return name

    async def notify(self, channel: str, payload: str) -> None:
        try:
            await self._db.execute("SELECT pg_notify($1, $2)", await self._name(channel), payload)
        except Exception as exc:  # the listeners' own re-reading brings the change later
            log.warning("wake-up on %s not sent: %s", channel, type(exc).__name__)

    async def listen(self, channel: str, callback: WakeupCallback) -> Callable[[], None]:
        """Returns once the channel is listened to (or, with the database away, once the
        first try failed: the supervisor keeps trying)."""
        new = channel not in self._listeners.channels()
        stop = self._listeners.add(channel, callback)
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="wakeups")
        await self._first_try.wait()
        if new:
            async with self._conn_lock:
                if self._conn is not None:
                    with contextlib.suppress(Exception):  # lost: the supervisor redoes it
                        await self._conn.add_listener(await self._name(channel), self._received)
        return stop

    def _received(self, _conn: object, _pid: int, name: str, payload: str) -> None:
        channel = self._names.get(name)
        if channel is not None:
            self._listeners.call(channel, payload)

    async def _supervise(self) -> None:
        connected_before = False
        while not self._closed:
            try:
                await self._open()
                if connected_before:
                    self._listeners.call_all(None)  # notices may have come meanwhile
                connected_before = True
                self._first_try.set()
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("wake-up connection lost: %s", type(exc).__name__)
            self._first_try.set()
            await self._drop()
            await asyncio.sleep(self._retry_seconds)

    async def _open(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._db.url)
        self._lost.clear()
        conn.add_termination_listener(lambda _conn: self._lost.set())
        async with self._conn_lock:
            self._conn = conn
            for channel in self._listeners.channels():
                await conn.add_listener(await self._name(channel), self._received)

    async def _watch(self) -> None:
        """Returns never; raises when the connection is lost or stops answering."""
        # asyncio.timeout, not wait_for: on Python 3.11 a cancel that meets wait_for's
        # timeout can be lost, and close() would wait for this task forever.
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._check_seconds):
                    await self._lost.wait()
            if self._lost.is_set():
                raise ConnectionError("the listening connection ended")
            async with self._conn_lock, asyncio.timeout(self._check_seconds):
                await self._conn.fetchval("SELECT 1")

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection (for operators and tests)."""
        return None if self._conn is None else int(self._conn.get_server_pid())

    async def _drop(self) -> None:
        async with self._conn_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._retry_seconds):
                    await conn.close()
            if not conn.is_closed():
                conn.terminate()

    async def close(self) -> None:
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._drop()


StoreWakeups = LocalWakeups | PostgresWakeups


def wakeups_for(db: Database) -> StoreWakeups:
    if db.dialect == "postgres":
        from state.postgres import PostgresDatabase

        assert isinstance(db, PostgresDatabase)
        return PostgresWakeups(db)
    return LocalWakeups(db)
