"""The purge (ecitizen/retention.py: what goes, and when), one process at a time.

Every server process runs it daily and `ecitizen purge` runs it on demand; a lease in the
store lets only one process purge at a time, the others skip that round.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from ecitizen.app import App
from ecitizen.retention import PurgeReport, purge
from state.leases import kept

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(days=1)
PURGE_LEASE = "purge"
PURGE_LEASE_S = 60.0  # renewed while the purge runs; a dead purger's is free this soon


async def purge_once(app: App) -> PurgeReport | None:
    """Runs the purge unless another process is purging right now (then None)."""
    store, owner = app.store, app.store.owner
    if not await store.acquire_lease(PURGE_LEASE, owner, PURGE_LEASE_S):
        return None
    try:
        async with kept(store, PURGE_LEASE, owner, PURGE_LEASE_S):
            return await purge(app)
    finally:
        await store.release_lease(PURGE_LEASE, owner)


async def purge_daily(app: App) -> None:
    while True:
        try:
            done = await purge_once(app)
            if done is None:
                log.info("daily purge: another process is purging; skipped")
            else:
                log.info("daily purge: %s", done)
        except Exception:
            log.exception("daily purge failed; trying again tomorrow")
        await asyncio.sleep(PURGE_EVERY.total_seconds())
