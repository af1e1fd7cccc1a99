"""The printer worker: takes print jobs from the store and puts them on paper.

Per printer, one job at a time and oldest first: a job is claimed (PRINTING), printed
(printing/job.py: status asked, slip built and sent, status asked again) and marked
PRINTED. A printer that is off, unreachable, out of paper or with its cover open keeps the
job queued and is retried with exponential backoff; while it waits, no later job for that
printer is taken, so slips come out in the order they were asked for.

At each wake-up (a job queued, or every poll) one read asks the store which printers have
work (a due job at the head of a queue, or a job PRINTING); only those are asked for and
claimed on. The read is a hint: the claim is conditional as ever, and a printer it misses
is seen at the next poll.

Every process runs a worker, and each printer has one owner at a time: the process holding
its lease in the store (printing/ownership.py: lease terms, renewed while the owner works,
sends that stop before the term can run out). When the owner dies its lease runs out within
seconds and another process takes the printer over: the job the old term was sending
(still PRINTING) becomes UNCERTAIN, printed again only when an officer asks (requeue), and
the printer's condition and backoff go on from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from flows.engine.ports import AccountProvider, PrinterStore
from flows.engine.records import PrinterState, PrintJob, PrintStatus
from printing.connections import Link, link_for
from printing.job import Attempt, JobPrinter, Outcome, Result
from printing.ownership import Hold, PrinterLeases, tag, timeline
from printing.printers import PrinterConfig
from printing.status import Condition
from state.leases import Tenure

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Printer:
    config: PrinterConfig
    condition: Condition = Condition.UNKNOWN
    attention: str | None = None  # the reason last reported, until the printer recovers
    failures: int = 0  # failed attempts in a row (the backoff's exponent)
    hold: Hold = field(default_factory=Hold)  # this process's hold on it
    changed: bool = False  # condition, attention or failures differ from the store's
    unmarked: Callable[[], Awaitable[bool]] | None = None  # an outcome the store lacks

    @property
    def state(self) -> PrinterState:
        return PrinterState(self.condition.value, self.attention, self.failures)


@dataclass(slots=True)
class RunReport:
    printed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class PrintWorker:
    def __init__(
        self,
        store: PrinterStore,
        printers: Mapping[str, PrinterConfig],
        accounts: AccountProvider,
        clock: Callable[[], datetime] = utc_now,
        *,
        on_attention: Callable[[str, str], None] | None = None,
        on_ready: Callable[[str], None] | None = None,
        max_backoff_s: float = 60.0,
        poll_s: float = 1.0,
        lease_s: float = 15.0,
        link_factory: Callable[[PrinterConfig], Link] = link_for,
    ) -> None:
        self.store = store
        self.clock = clock
        self.on_attention = on_attention
        self.on_ready = on_ready
        self.max_backoff_s = max_backoff_s
        self.poll_s = poll_s
        self.leases = PrinterLeases(store, clock, lease_s)
        self.jobs = JobPrinter(accounts, clock, link_factory)
        self._printers = {name: _Printer(config) for name, config in printers.items()}
        self._conditions: dict[str, Condition] = {}  # every printer's, as the store has it
        self._started = False
        self._wake = asyncio.Event()

    # -- what the lead wires -------------------------------------------------------------

    async def start(self) -> int:
        """Once, before printing: jobs left PRINTING by a process that is gone (its
        printer lease dead) become UNCERTAIN; returns how many. A live process's job is
        never touched, so a second process (`ecitizen chat` beside `serve`) harms none."""
        if self._started:
            return 0
        self._started = True
        uncertain = await self.store.mark_uncertain()
        if uncertain:
            log.warning("%d print job(s) were cut off by a crash: uncertain", uncertain)
        await self._refresh_conditions()
        return uncertain

    def conditions(self) -> dict[str, Condition]:
        """Each printer's last known condition, whichever process owns it (for the kiosk
        screen and officers)."""
        return {name: self._conditions.get(name, Condition.UNKNOWN) for name in self._printers}

    def condition(self, printer: str) -> Condition | None:
        """One printer's last known condition (as `conditions()` has it); None for a
        printer this process does not print on. The kiosk asks at every step."""
        if printer not in self._printers:
            return None
        return self._conditions.get(printer, Condition.UNKNOWN)

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self.start()
        try:
            refreshed = -math.inf
            while stop is None or not stop.is_set():
                self._wake.clear()  # before the run: a job queued during it wakes the next
                # Other processes' printers change seldom: read them once a poll, not at
                # every wake-up (each step of a kiosk wakes the worker).
                refresh = time.monotonic() - refreshed >= self.poll_s
                refreshed = time.monotonic() if refresh else refreshed
                try:
                    await self._run(refresh)
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
        finally:
            if stop is not None and stop.is_set():  # stopped, not killed: hand over now
                await self.release()

    async def release(self) -> None:
        """Give up every printer this process holds, so another takes them at once."""
        for name, printer in self._printers.items():
            await self.leases.release(name, printer.hold)

    async def run_once(self) -> RunReport:
        """Print every job that is due on every printer this process holds (or can take)."""
        return await self._run(refresh=True)

    async def _run(self, refresh: bool) -> RunReport:
        await self.start()
        report = RunReport()
        await self.leases.renew_held({name: p.hold for name, p in self._printers.items()})
        # One read says which printers have work; only those are asked for and claimed on
        # (the claim stays conditional: the read is only a hint).
        at_work = await self.store.printers_at_work(self.clock())
        # Every printer's turn ends before the next run starts (one turn per printer at a
        # time in this process); the first failure is raised after.
        served = await asyncio.gather(
            *(
                self._serve(name, report, at_work.get(name))
                for name, printer in self._printers.items()
                if name in at_work or printer.unmarked is not None
            ),
            return_exceptions=True,
        )
        for failure in served:
            if isinstance(failure, BaseException):
                raise failure
        if refresh:
            await self._refresh_conditions()
        return report

    async def _refresh_conditions(self) -> None:
        states = await self.store.printer_states()
        for name, state in states.items():
            printer = self._printers.get(name)
            if printer is None or printer.hold.tenure is None:
                self._conditions[name] = Condition(state.condition)

    async def _take_over(self, name: str, printer: _Printer) -> None:
        """A new term: the printer's condition and backoff go on from where they were, and
        an outcome an earlier term could not write is the store's to decide now."""
        printer.unmarked = None
        state = (await self.store.printer_states()).get(name)
        if state is not None:
            printer.condition = Condition(state.condition)
            printer.attention, printer.failures = state.attention, state.failures
            self._conditions[name] = printer.condition

    # -- one printer ---------------------------------------------------------------------

    async def _serve(self, name: str, report: RunReport, work: PrintStatus | None) -> None:
        printer = self._printers[name]
        tenure, new = await self.leases.hold(name, printer.hold)
        if tenure is None:
            return
        if new:
            await self._take_over(name, printer)
        elif work is PrintStatus.PRINTING and printer.unmarked is None:
            # Nothing of this term is printing between turns: a claim of an earlier term
            # landed after the takeover settled them, and would hold the queue.
            await self.leases.settle_earlier_terms(name)
        async with self.leases.renewed(name, printer.hold, tenure):
            await self._drain(name, printer, tenure, report)
        if tenure.left() <= 0 and printer.hold.tenure is tenure:  # ran out while working
            printer.hold.forget()

    async def _drain(self, name: str, printer: _Printer, tenure: Tenure, report: RunReport) -> None:
        """The printer's due jobs, one at a time, while the term lasts."""
        if printer.unmarked is not None and not await self._mark(name, printer.unmarked):
            return
        while tenure.left() > 0:
            jobs = await self.store.claim_print_jobs(name, self.clock(), 1, tenure.term)
            if not jobs:
                return
            result = await self._attempt(jobs[0], printer, tenure)
            if not await self._mark(name, self._outcome(printer, jobs[0], result, report)):
                return
            if result.outcome in (Outcome.WAIT, Outcome.CUT_OFF):
                return

    async def _attempt(self, job: PrintJob, printer: _Printer, tenure: Tenure) -> Result:
        attempt = Attempt(job, printer.config, tenure)
        name = printer.config.name
        timeline.info(
            "printer %s: term %s, job %d starts (%.1f s left)",
            name,
            tag(tenure.term),
            job.id,
            tenure.left(),
        )
        try:
            result = await self.jobs.print(attempt)
        except asyncio.CancelledError:
            if not attempt.sending:  # nothing reached the printer: the job may simply wait
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.print_retry(job.id, self.clock(), "stopped"))
            raise
        timeline.info(
            "printer %s: term %s, job %d ends: %s %s",
            name,
            tag(tenure.term),
            job.id,
            result.outcome.value,
            result.reason,
        )
        if result.seen is not None:
            self._note(printer, result.seen, result.concern)
        return result

    def _outcome(
        self, printer: _Printer, job: PrintJob, result: Result, report: RunReport
    ) -> Callable[[], Awaitable[bool]]:
        """What the outcome changes here (backoff, report), and its write to the store,
        made once: a write that failed is made again before the next job."""
        if result.outcome is Outcome.PRINTED:
            printer.changed |= printer.failures != 0
            printer.failures = 0
            report.printed.append(job.id)
            return partial(self.store.print_done, job.id, self.clock())
        if result.outcome is Outcome.FAILED:
            report.failed.append(job.id)
            log.error("print job %d (%s) failed: %s", job.id, job.slip, result.reason)
            return partial(self.store.print_failed, job.id, result.reason)
        report.waiting.append(job.id)
        if result.outcome is Outcome.CUT_OFF:  # not the printer's fault: no backoff
            return partial(self.store.print_retry, job.id, self.clock(), result.reason)
        delay = min(self.max_backoff_s, 2.0**printer.failures)
        printer.failures += 1
        printer.changed = True
        log.info(
            "printer %s: %s; job %d waits %.0f s", printer.config.name, result.reason, job.id, delay
        )
        retry_at = self.clock() + timedelta(seconds=delay)
        return partial(self.store.print_retry, job.id, retry_at, result.reason)

    async def _mark(self, name: str, write: Callable[[], Awaitable[bool]]) -> bool:
        """The outcome into the store, while the job's term lasts; False when the term is
        over (another process holds the printer now), and this process stops."""
        printer = self._printers[name]
        printer.unmarked = write  # until the store took it
        marked = await write()
        printer.unmarked = None
        await self._save(name, printer)
        if not marked:
            log.warning("printer %s: a job of this process was taken over; it stops", name)
            printer.hold.forget()
        return marked

    async def _save(self, name: str, printer: _Printer) -> None:
        self._conditions[name] = printer.condition
        if printer.changed:
            await self.store.save_printer_state(name, printer.state)
            printer.changed = False

    def _note(self, printer: _Printer, condition: Condition, reason: str | None = None) -> None:
        printer.changed |= condition is not printer.condition
        printer.condition = condition
        concern = reason or (condition.value if condition.needs_attention else None)
        if concern is not None and concern != printer.attention:
            printer.changed = True
            printer.attention = concern
            log.warning("printer %s needs attention: %s", printer.config.name, concern)
            if self.on_attention is not None:
                self.on_attention(printer.config.name, concern)
        elif concern is None and printer.attention is not None:
            printer.changed = True
            printer.attention = None
            log.info("printer %s is ready again", printer.config.name)
            if self.on_ready is not None:
                self.on_ready(printer.config.name)
