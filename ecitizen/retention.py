"""The whole purge, as `ecitizen purge` and the server run it: what the store erases
(state/retention.py), the web chat's mailboxes and sessions, and the slips a file printer
kept. The settings say how long; docs/privacy.md says what and why.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.web.mailbox import FORGET_AFTER
from bot.webchat import REPLACED_KEPT, SESSION_KEPT
from ecitizen.app import App
from ecitizen.config import printer_configs
from printing.printers import erase_kept_output

log = logging.getLogger(__name__)

PRINTS_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    expired: int  # submitted registrations whose visit passed
    erased: int  # registrations whose personal data went
    mailboxes: int
    web_sessions: int
    files: int  # slips a file printer had kept

    def __str__(self) -> str:
        return (
            f"expired {self.expired} registrations; erased personal data of {self.erased}; "
            f"forgot {self.mailboxes} web chats and {self.web_sessions} web chat sessions; "
            f"erased {self.files} printed files"
        )


async def erase_prints(app: App, now: datetime) -> int:
    """Slips a file printer wrote longer ago than `print_keep_hours`."""
    kept_until = now - timedelta(hours=app.config.engine.print_keep_hours)
    printers = printer_configs(app.config).values()
    return await asyncio.to_thread(erase_kept_output, printers, kept_until)


async def purge(app: App) -> PurgeReport:
    """Everything past its limit, at the app's clock."""
    engine, store = app.config.engine, app.store
    now = app.env.clock()
    expired = await store.expire_due(now)
    erased = await store.purge(
        now - timedelta(days=engine.retention_days),
        approved_before=now - timedelta(days=engine.approved_retention_days),
        printed_before=now - timedelta(hours=engine.print_keep_hours),
    )
    await store.forget_chat_records(now - timedelta(days=engine.retention_days))
    mailboxes = 0
    # what a web chat was shown lives a day, and never past the retention period itself
    shown_for = min(FORGET_AFTER, timedelta(days=engine.retention_days))
    while found := await store.forget_mailboxes(shown_for):
        mailboxes += found
    sessions = await store.forget_web_sessions(SESSION_KEPT, REPLACED_KEPT)
    files = await erase_prints(app, now)
    await store.erase_for_good()
    return PurgeReport(len(expired), erased, mailboxes, sessions, files)


async def erase_prints_hourly(app: App) -> None:
    """Every process: the file printers' folders may be its own."""
    while True:
        try:
            erased = await erase_prints(app, app.env.clock())
            if erased:
                log.info("erased %d printed files past their time", erased)
        except Exception:
            log.exception("printed files could not be erased; trying again in an hour")
        await asyncio.sleep(PRINTS_EVERY.total_seconds())
