"""One print job, from its row in the store to paper, and what each step decides:

- can the printer be reached, and can it print now? If not, the job waits (WAIT);
- can the job make a slip at all? If not, it FAILED (an officer looks), and a credentials
  job finds that out before it costs the citizen an activation code;
- for a credentials slip, can a code be had? If not, the job waits, and fails after a few
  tries so the slips behind it can print;
- can the slip be drawn? If not, FAILED;
- did the printer take every byte (PRINTED), did the connection break (WAIT: the slip is
  sent again), or did this process's hold on the printer run out first (CUT_OFF: not a
  byte more was sent, and the connection was cut).

The activation code is asked for right before sending, so it exists in clear only in this
process's memory while the slip prints.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.engine.ports import AccountProvider
from flows.engine.records import PrintJob
from printing.connections import Fence, LeaseRunOut, Link, Printout
from printing.document import Document
from printing.escpos_render import render_rows
from printing.layout import Row, layout
from printing.preview import rows_png
from printing.printers import PrinterConfig
from printing.slip_layout import slip_from_payload
from printing.status import Condition, query_condition

log = logging.getLogger(__name__)

ACCOUNTS_UNAVAILABLE = "accounts_unavailable"  # the attention reason when no code came
ACCOUNT_TRIES = 3  # then the credentials job fails, so the slips behind it can print


class Outcome(StrEnum):
    PRINTED = "printed"
    WAIT = "wait"  # the printer (or the account provider) cannot now: retry later
    FAILED = "failed"  # the job itself cannot make a slip: an officer has to look
    CUT_OFF = "cut_off"  # this process's hold on the printer ran out: stopped in time


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    reason: str = ""
    seen: Condition | None = None  # what the printer said of itself, if it was asked
    concern: str | None = None  # a reason for attention besides the printer's condition


@dataclass(slots=True)
class Attempt:
    """One try at a job; `sending` once the slip's bytes may have left for the printer."""

    job: PrintJob
    config: PrinterConfig
    fence: Fence
    sending: bool = False


def slip_for(
    job: PrintJob, config: PrinterConfig, now: datetime, activation_code: str | None
) -> Document:
    """The job's slip as a document (a file printer's never shows the code)."""
    return slip_from_payload(
        job.slip, job.payload, now=now, activation_code=activation_code, masked=config.keeps_output
    )


def render_slip(document: Document, config: PrinterConfig) -> tuple[bytes, list[Row]]:
    """The ESC/POS bytes for this printer, and the rows (for a preview of the same)."""
    rows = layout(document, config.caps, config.geometry)
    return render_rows(rows, config.caps, config.geometry), rows


def condition_of(link: Link) -> Condition:
    """Blocking: what the printer says of itself (UNKNOWN for one that cannot say)."""
    return query_condition(link) if link.answers_status else Condition.UNKNOWN


def _cut_off(when: str) -> Result:
    return Result(Outcome.CUT_OFF, f"the hold on the printer ran out {when}")


def _lost(e: OSError, what: str = "connection lost") -> Result:
    """The printer could not be reached, or dropped the connection: try again later."""
    return Result(Outcome.WAIT, f"{what}: {e.__class__.__name__}", Condition.UNREACHABLE)


def deliver(link: Link, printout: Printout) -> Result:
    """Blocking: the slip sent, then the printer asked again. Its answer proves it took
    every byte before it; a connection lost before that means it may not have."""
    try:
        link.send(printout)
    except LeaseRunOut:
        return _cut_off("while sending")
    except OSError as e:
        return _lost(e)
    try:
        after = condition_of(link)
    except LeaseRunOut:  # every byte was taken; only the printer's word on it is missing
        log.warning(
            "print job %d: sent; the hold ran out before the printer answered", printout.job_id
        )
        return Result(Outcome.PRINTED)
    except OSError as e:
        return _lost(e)
    return Result(Outcome.PRINTED, seen=after)


class JobPrinter:
    """Prints one job at a time for the worker; knows nothing of the store."""

    def __init__(
        self,
        accounts: AccountProvider,
        clock: Callable[[], datetime],
        link_factory: Callable[[PrinterConfig], Link],
    ) -> None:
        self.accounts = accounts
        self.clock = clock
        self.link_factory = link_factory
        self._account_failures: dict[int, int] = {}  # job id -> failed requests for a code

    async def print(self, attempt: Attempt) -> Result:
        link = self.link_factory(attempt.config)
        try:
            before = await self._reach(link, attempt.fence)
            if isinstance(before, Result):
                return before
            if not before.can_print:
                return Result(Outcome.WAIT, before.value, before)
            made = await self._printout(attempt.job, attempt.config, before)
            if isinstance(made, Result):
                return made
            attempt.sending = True
            return await asyncio.to_thread(deliver, link, made)
        finally:
            await asyncio.to_thread(link.close)

    @staticmethod
    async def _reach(link: Link, fence: Fence) -> Condition | Result:
        """Whether the printer answers at all, and what it says of itself."""
        try:
            await asyncio.to_thread(link.open, fence)
        except LeaseRunOut:
            return _cut_off("before sending")
        except OSError as e:
            return _lost(e, "unreachable")
        try:
            return await asyncio.to_thread(condition_of, link)
        except LeaseRunOut:
            return _cut_off("before sending")
        except OSError as e:
            return _lost(e)

    async def _printout(
        self, job: PrintJob, config: PrinterConfig, before: Condition
    ) -> Printout | Result:
        """The slip's bytes, with a fresh activation code for a credentials slip. Laid out
        and drawn in a thread: a slip takes milliseconds, too long for the event loop."""
        needs_code = job.slip == "credentials"
        now = self.clock()
        code: str | None = None
        try:  # a job that cannot make a slip must not cost the citizen their code
            if needs_code:
                await asyncio.to_thread(slip_for, job, config, now, "-")
                issued = await self._activation_code(job, before)
                if isinstance(issued, Result):
                    return issued
                code = issued
            document = await asyncio.to_thread(slip_for, job, config, now, code)
        except (KeyError, ValueError, TypeError) as e:
            return Result(Outcome.FAILED, f"cannot make the slip: {e.__class__.__name__} {e}")
        try:
            data, rows = await asyncio.to_thread(render_slip, document, config)
        except Exception as e:
            log.exception("print job %d: the slip could not be drawn", job.id)
            return Result(Outcome.FAILED, f"cannot draw the slip: {e.__class__.__name__}")
        del code, document  # the code lives on only in the bytes being sent
        return Printout(job.id, job.slip, data, lambda: rows_png(rows, config.geometry))

    async def _activation_code(self, job: PrintJob, before: Condition) -> str | Result:
        """A new code from the account provider; when none comes, the job waits, and
        after ACCOUNT_TRIES it fails (the officer is told either way)."""
        try:
            code = await self.accounts.issue_activation_code(str(job.payload["username"]))
        except Exception as e:
            why = f"{ACCOUNTS_UNAVAILABLE}: {e.__class__.__name__}"
            tries = self._account_failures.get(job.id, 0) + 1
            self._account_failures[job.id] = tries
            if tries >= ACCOUNT_TRIES:
                del self._account_failures[job.id]
                return Result(Outcome.FAILED, why, before, ACCOUNTS_UNAVAILABLE)
            return Result(Outcome.WAIT, why, before, ACCOUNTS_UNAVAILABLE)
        self._account_failures.pop(job.id, None)
        return code
