"""The purge: expire visits that passed, erase personal data past the retention period.

Every server process runs it daily and `ecitizen purge` runs it on demand; a lease in the
store lets only one process purge at a time, the others skip that round.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from ecitizen.app import App
from state.leases import kept

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(days=1)
PURGE_LEASE = "purge"
PURGE_LEASE_S = 60.0  # renewed while the purge runs; a dead purger's is free this soon


@dataclass(frozen=True)
class Purged:
    expired: int
    erased: int


async def purge_once(app: App) -> Purged | None:
    """Runs the purge unless another process is purging right now (then None)."""
    store, owner = app.store, app.store.owner
    if not await store.acquire_lease(PURGE_LEASE, owner, PURGE_LEASE_S):
        return None
    try:
        async with kept(store, PURGE_LEASE, owner, PURGE_LEASE_S):
            now = app.env.clock()
            expired = await store.expire_due(now)
            erased = await store.purge(now - timedelta(days=app.config.engine.retention_days))
        return Purged(len(expired), erased)
    finally:
        await store.release_lease(PURGE_LEASE, owner)


async def purge_daily(app: App) -> None:
    while True:
        try:
            done = await purge_once(app)
            if done is None:
                log.info("daily purge: another process is purging; skipped")
            else:
                log.info("daily purge: %d expired, %d erased", done.expired, done.erased)
        except Exception:
            log.exception("daily purge failed; trying again tomorrow")
        await asyncio.sleep(PURGE_EVERY.total_seconds())
