"""The store: every concern's queries on one database, and how to open it."""

from __future__ import annotations

from flows.engine.ports import Store
from state.account_records import AccountQueries
from state.activations import ActivationQueries
from state.audit import AuditQueries
from state.base import Clock
from state.cache import CACHE_BYTES
from state.chat_reach import ChatReachQueries
from state.conversations import ConversationQueries
from state.db import Database, Synchronous, connect
from state.kiosk_sessions import KioskSessionQueries
from state.leases import LeaseQueries, new_owner
from state.mailboxes import MailboxQueries
from state.migrate import migrate
from state.officers import OfficerQueries
from state.outbox import OutboxQueries
from state.print_jobs import PrintJobQueries
from state.queue import QueueQueries
from state.retention import RetentionQueries
from state.send_slots import SendSlotQueries
from state.values import utc_now
from state.wakeups import CONVERSATIONS_DROPPED, StoreWakeups, dropped_key
from state.web_sessions import WebSessionQueries


class SqlStore(
    ConversationQueries,
    OfficerQueries,
    QueueQueries,
    OutboxQueries,
    PrintJobQueries,
    AuditQueries,
    AccountQueries,
    ActivationQueries,
    KioskSessionQueries,
    MailboxQueries,
    LeaseQueries,
    RetentionQueries,
    WebSessionQueries,
    ChatReachQueries,
    SendSlotQueries,
):
    """flows.engine.ports.Store on SQLite or PostgreSQL; the SQL is the same for both."""

    def __init__(
        self, db: Database, clock: Clock = utc_now, cache_bytes: int = CACHE_BYTES
    ) -> None:
        super().__init__(db, clock, cache_bytes)
        self.owner = new_owner()
        self._closed = False

    @property
    def wakeups(self) -> StoreWakeups:
        return self._wakeups

    async def follow_other_processes(self) -> None:
        """Drop cached conversations when any process deletes them (CONVERSATIONS_DROPPED)."""
        await self._wakeups.listen(CONVERSATIONS_DROPPED, self._drop_cached)

    def _drop_cached(self, payload: str | None) -> None:
        key = dropped_key(payload)
        if key is None:
            self._conversations.clear()
        else:
            self._conversations.drop(key)

    async def migrate(self) -> int:
        return await migrate(self._db)

    async def close(self) -> None:
        """Waits for writes already handed over, then closes the connections. Once only."""
        if not self._closed:
            self._closed = True
            await self._wakeups.close()
            await self._db.close()


async def open_store(
    url: str,
    *,
    clock: Clock = utc_now,
    run_migrations: bool = True,
    synchronous: Synchronous = "full",
    cache_bytes: int = CACHE_BYTES,
) -> SqlStore:
    """Connects ("sqlite:///data/ecitizen.db", "postgresql://user@host/db") and, unless
    told otherwise, brings the schema up to date. Close it with `await store.close()`.
    `synchronous`: SQLite's commits, see state.db.Synchronous. `cache_bytes`: how much
    memory the conversations this process saved lately may take (state.cache)."""
    db = await connect(url, synchronous=synchronous)
    store = SqlStore(db, clock, cache_bytes)
    try:
        if run_migrations:
            await store.migrate()
        await store.follow_other_processes()
    except BaseException:
        await store.close()
        raise
    return store


def _is_a_store(store: SqlStore) -> Store:
    """Never called: mypy checks here that SqlStore is everything the port asks for."""
    return store
