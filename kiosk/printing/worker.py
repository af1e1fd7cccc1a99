"""The printer worker: takes print jobs from the store and puts them on paper.

Per printer, one job at a time and oldest first: a job is claimed (PRINTING), the printer
asked for its status, the slip built and sent, the status asked again, and the job marked
PRINTED. A printer that is off, unreachable, out of paper or with its cover open keeps the
job queued and is retried with exponential backoff; while it waits, no later job for that
printer is taken, so slips come out in the order they were asked for. A crash after
sending and before marking leaves the job PRINTING, which start-up turns UNCERTAIN: it is
printed again only when an officer asks (requeue). The activation code of a credentials
slip is asked for right before sending, so it exists in clear only in this process's
memory while the slip prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flows.ports import AccountProvider, PrintJobStore
from flows.records import PrintJob, PrintStatus
from flows.slips import Document, slip_from_payload
from kiosk.printing.escpos_render import render_rows
from kiosk.printing.layout import Row, layout
from kiosk.printing.links import Link, Printout, link_for
from kiosk.printing.preview import preview_rows
from kiosk.printing.printers import PrinterConfig
from kiosk.printing.status import Condition, query_condition

log = logging.getLogger(__name__)

ACCOUNTS_UNAVAILABLE = "accounts_unavailable"  # the attention reason when no code came
ACCOUNT_TRIES = 3  # then the credentials job fails, so the slips behind it can print


def utc_now() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    PRINTED = "printed"
    WAIT = "wait"  # the printer (or the account provider) cannot now: retry later
    FAILED = "failed"  # the job itself cannot make a slip: an officer has to look


@dataclass(slots=True)
class _Printer:
    config: PrinterConfig
    condition: Condition = Condition.UNKNOWN
    attention: str | None = None  # the reason last reported, until the printer recovers
    failures: int = 0
    blocked_until: datetime | None = None


@dataclass(slots=True)
class RunReport:
    printed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def render_slip(document: Document, config: PrinterConfig) -> tuple[bytes, list[Row]]:
    """The ESC/POS bytes for this printer, and the rows (for a preview of the same)."""
    rows = layout(document, config.caps, config.geometry)
    return render_rows(rows, config.caps, config.geometry), rows


def preview_png(rows: list[Row], config: PrinterConfig) -> bytes:
    buffer = io.BytesIO()
    preview_rows(rows, config.geometry).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class PrintWorker:
    def __init__(
        self,
        store: PrintJobStore,
        printers: Mapping[str, PrinterConfig],
        accounts: AccountProvider,
        clock: Callable[[], datetime] = utc_now,
        *,
        on_attention: Callable[[str, str], None] | None = None,
        on_ready: Callable[[str], None] | None = None,
        max_backoff_s: float = 60.0,
        poll_s: float = 1.0,
        link_factory: Callable[[PrinterConfig], Link] = link_for,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.clock = clock
        self.on_attention = on_attention
        self.on_ready = on_ready
        self.max_backoff_s = max_backoff_s
        self.poll_s = poll_s
        self.link_factory = link_factory
        self._printers = {name: _Printer(config) for name, config in printers.items()}
        self._started = False
        self._account_failures: dict[int, int] = {}  # job id -> failed requests for a code
        self._wake = asyncio.Event()

    # -- what the lead wires -------------------------------------------------------------

    async def start(self) -> int:
        """Once, before printing: jobs a crash left PRINTING become UNCERTAIN (returns how
        many), and printers with jobs waiting for a retry stay closed until the latest of
        those is due, so a newer job never overtakes them after a restart."""
        if self._started:
            return 0
        self._started = True
        uncertain = await self.store.mark_uncertain()
        if uncertain:
            log.warning("%d print job(s) were cut off by a crash: uncertain", uncertain)
        for name, printer in self._printers.items():
            waiting = [
                j.next_attempt_at
                for j in await self.store.print_jobs(name)
                if j.status is PrintStatus.QUEUED and j.next_attempt_at > self.clock()
            ]
            printer.blocked_until = max(waiting, default=None)
        return uncertain

    def conditions(self) -> dict[str, Condition]:
        """Each printer's last known condition (for the kiosk screen and officers)."""
        return {name: p.condition for name, p in self._printers.items()}

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self.start()
        while stop is None or not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the store may be briefly unavailable: try again later
                log.exception("the printer worker could not run; trying again")
            if stop is not None and stop.is_set():
                return
            # not wait_for: on Python 3.11 a cancel meeting its timeout can hang the caller
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.poll_s)
            finally:
                waiter.cancel()
            self._wake.clear()

    async def run_once(self) -> RunReport:
        """Print every job that is due on every printer that can take it."""
        await self.start()
        report = RunReport()
        await asyncio.gather(*(self._serve(name, report) for name in self._printers))
        return report

    # -- one printer ---------------------------------------------------------------------

    async def _serve(self, name: str, report: RunReport) -> None:
        printer = self._printers[name]
        while True:
            now = self.clock()
            if printer.blocked_until is not None and now < printer.blocked_until:
                return
            printer.blocked_until = None
            jobs = await self.store.claim_print_jobs(name, now, 1)
            if not jobs:
                return
            job = jobs[0]
            outcome, reason = await self._print(job, printer)
            if outcome is Outcome.PRINTED:
                await self.store.print_done(job.id, self.clock())
                printer.failures = 0
                report.printed.append(job.id)
            elif outcome is Outcome.FAILED:
                await self.store.print_failed(job.id, reason)
                report.failed.append(job.id)
                log.error("print job %d (%s) failed: %s", job.id, job.slip, reason)
            else:
                delay = min(self.max_backoff_s, 2.0**printer.failures)
                printer.failures += 1
                printer.blocked_until = self.clock() + timedelta(seconds=delay)
                await self.store.print_retry(job.id, printer.blocked_until, reason)
                report.waiting.append(job.id)
                log.info("printer %s: %s; job %d waits %.0f s", name, reason, job.id, delay)
                return

    def _note(self, printer: _Printer, condition: Condition, reason: str | None = None) -> None:
        printer.condition = condition
        concern = reason or (condition.value if condition.needs_attention else None)
        if concern is not None and concern != printer.attention:
            printer.attention = concern
            log.warning("printer %s needs attention: %s", printer.config.name, concern)
            if self.on_attention is not None:
                self.on_attention(printer.config.name, concern)
        elif concern is None and printer.attention is not None:
            printer.attention = None
            log.info("printer %s is ready again", printer.config.name)
            if self.on_ready is not None:
                self.on_ready(printer.config.name)

    async def _print(self, job: PrintJob, printer: _Printer) -> tuple[Outcome, str]:
        config = printer.config
        link = self.link_factory(config)
        sent = False
        try:
            try:
                await asyncio.to_thread(link.open)
            except OSError as e:
                self._note(printer, Condition.UNREACHABLE)
                return Outcome.WAIT, f"unreachable: {e.__class__.__name__}"
            try:
                before = await self._condition(link)
                if not before.can_print:
                    self._note(printer, before)
                    return Outcome.WAIT, before.value
                needs_code = job.slip == "credentials"
                try:  # a job that cannot make a slip must not cost the citizen their code
                    slip_from_payload(
                        job.slip,
                        job.payload,
                        now=self.clock(),
                        activation_code="-" if needs_code else None,
                    )
                except (KeyError, ValueError, TypeError) as e:
                    return Outcome.FAILED, f"cannot make the slip: {e.__class__.__name__} {e}"
                code: str | None = None
                if needs_code:
                    try:
                        code = await self.accounts.issue_activation_code(
                            str(job.payload["username"])
                        )
                    except Exception as e:
                        self._note(printer, before, ACCOUNTS_UNAVAILABLE)
                        why = f"{ACCOUNTS_UNAVAILABLE}: {e.__class__.__name__}"
                        tries = self._account_failures.get(job.id, 0) + 1
                        self._account_failures[job.id] = tries
                        if tries >= ACCOUNT_TRIES:
                            del self._account_failures[job.id]
                            return Outcome.FAILED, why
                        return Outcome.WAIT, why
                    self._account_failures.pop(job.id, None)
                document = slip_from_payload(
                    job.slip,
                    job.payload,
                    now=self.clock(),
                    activation_code=code,
                    masked=config.keeps_output,  # a file never keeps the code
                )
                try:
                    data, rows = await asyncio.to_thread(render_slip, document, config)
                except Exception as e:
                    log.exception("print job %d: the slip could not be drawn", job.id)
                    return Outcome.FAILED, f"cannot draw the slip: {e.__class__.__name__}"
                del code, document  # the code lives on only in the bytes being sent
                printout = Printout(job.id, job.slip, data, lambda: preview_png(rows, config))
                sent = True
                await asyncio.to_thread(link.send, printout)
                # The answer to a status query after the slip proves the printer took
                # every byte before it; a connection lost here means it may not have.
                after = await self._condition(link)
            except OSError as e:
                self._note(printer, Condition.UNREACHABLE)
                return Outcome.WAIT, f"connection lost: {e.__class__.__name__}"
            self._note(printer, after)
            return Outcome.PRINTED, ""
        except asyncio.CancelledError:
            if not sent:  # nothing reached the printer: the job may simply wait
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.print_retry(job.id, self.clock(), "stopped"))
            raise
        finally:
            await asyncio.to_thread(link.close)

    @staticmethod
    async def _condition(link: Link) -> Condition:
        if not link.answers_status:
            return Condition.UNKNOWN
        return await asyncio.to_thread(query_condition, link)
