"""The printer worker: takes print jobs from the store and puts them on paper.

Per printer, one job at a time and oldest first: a job is claimed (PRINTING), the printer
asked for its status, the slip built and sent, the status asked again, and the job marked
PRINTED. A printer that is off, unreachable, out of paper or with its cover open keeps the
job queued and is retried with exponential backoff; while it waits, no later job for that
printer is taken, so slips come out in the order they were asked for.

Every process runs a worker, and each printer has one owner at a time: the process holding
its lease in the store, renewed while it works. When the owner dies its lease runs out
within seconds and another process takes the printer over: the job the dead owner was
sending (still PRINTING) becomes UNCERTAIN, printed again only when an officer asks
(requeue), and the printer's condition and backoff go on from the store. Only the process
that claimed a job can mark it. The activation code of a credentials slip is asked for
right before sending, so it exists in clear only in this process's memory while the slip
prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flows.conversations.slips import Document, slip_from_payload
from flows.engine.ports import AccountProvider, PrinterStore
from flows.engine.records import PrinterState, PrintJob
from printing.connections import Link, Printout, link_for
from printing.escpos_render import render_rows
from printing.layout import Row, layout
from printing.preview import rows_png
from printing.printers import PrinterConfig
from printing.status import Condition, query_condition
from state.leases import kept, printer_lease

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
    failures: int = 0  # failed attempts in a row (the backoff's exponent)
    held: bool = False  # this process holds the printer's lease
    asked_at: datetime | None = None  # when its lease was last taken, renewed or asked for
    changed: bool = False  # condition, attention or failures differ from the store's

    @property
    def state(self) -> PrinterState:
        return PrinterState(self.condition.value, self.attention, self.failures)


@dataclass(slots=True)
class RunReport:
    printed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def render_slip(document: Document, config: PrinterConfig) -> tuple[bytes, list[Row]]:
    """The ESC/POS bytes for this printer, and the rows (for a preview of the same)."""
    rows = layout(document, config.caps, config.geometry)
    return render_rows(rows, config.caps, config.geometry), rows


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
        self.accounts = accounts
        self.clock = clock
        self.on_attention = on_attention
        self.on_ready = on_ready
        self.max_backoff_s = max_backoff_s
        self.poll_s = poll_s
        # A printer whose owner died is taken over within this (plus a poll).
        self.lease_s = lease_s
        self.link_factory = link_factory
        self._printers = {name: _Printer(config) for name, config in printers.items()}
        self._conditions: dict[str, Condition] = {}  # every printer's, as the store has it
        self._started = False
        self._account_failures: dict[int, int] = {}  # job id -> failed requests for a code
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

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self.start()
        try:
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
        finally:
            if stop is not None and stop.is_set():  # stopped, not killed: hand over now
                await self.release()

    async def release(self) -> None:
        """Give up every printer this process holds, so another takes them at once."""
        for name, printer in self._printers.items():
            if printer.held:
                printer.held = False
                with contextlib.suppress(Exception):
                    await self.store.release_lease(printer_lease(name), self.store.owner)

    async def run_once(self) -> RunReport:
        """Print every job that is due on every printer this process holds (or can take)."""
        await self.start()
        report = RunReport()
        await asyncio.gather(*(self._serve(name, report) for name in self._printers))
        await self._refresh_conditions()
        return report

    async def _refresh_conditions(self) -> None:
        states = await self.store.printer_states()
        for name, state in states.items():
            printer = self._printers.get(name)
            if printer is None or not printer.held:
                self._conditions[name] = Condition(state.condition)

    # -- ownership -----------------------------------------------------------------------

    async def _hold(self, name: str) -> bool:
        """Whether this process holds the printer now: the lease is renewed every third
        of its time, and a printer held elsewhere is asked for as often."""
        printer = self._printers[name]
        now = self.clock()
        if printer.asked_at is not None and now - printer.asked_at < self._ask_every:
            return printer.held
        printer.asked_at = now
        held = await self.store.acquire_lease(printer_lease(name), self.store.owner, self.lease_s)
        if held and not printer.held:
            await self._take_over(name, printer)
        elif printer.held and not held:
            log.warning("printer %s: another process prints on it now", name)
        printer.held = held
        return held

    @property
    def _ask_every(self) -> timedelta:
        return timedelta(seconds=self.lease_s / 3)

    async def _take_over(self, name: str, printer: _Printer) -> None:
        """The previous owner is gone: its job cut off mid-print becomes UNCERTAIN, and the
        printer's condition and backoff go on from where it left them."""
        uncertain = await self.store.mark_uncertain(name)
        if uncertain:
            log.warning(
                "printer %s: %d job(s) of a process that is gone: uncertain", name, uncertain
            )
        state = (await self.store.printer_states()).get(name)
        if state is not None:
            printer.condition = Condition(state.condition)
            printer.attention, printer.failures = state.attention, state.failures
            self._conditions[name] = printer.condition
        log.info("printer %s: this process prints on it", name)

    # -- one printer ---------------------------------------------------------------------

    async def _serve(self, name: str, report: RunReport) -> None:
        if not await self._hold(name):
            return
        printer = self._printers[name]
        lease = printer_lease(name)
        while True:
            jobs = await self.store.claim_print_jobs(name, self.clock(), 1)
            if not jobs:
                return
            job = jobs[0]
            async with kept(self.store, lease, self.store.owner, self.lease_s):
                outcome, reason = await self._print(job, printer)
            if outcome is Outcome.PRINTED:
                marked = await self.store.print_done(job.id, self.clock())
                printer.changed |= printer.failures != 0
                printer.failures = 0
                report.printed.append(job.id)
            elif outcome is Outcome.FAILED:
                marked = await self.store.print_failed(job.id, reason)
                report.failed.append(job.id)
                log.error("print job %d (%s) failed: %s", job.id, job.slip, reason)
            else:
                delay = min(self.max_backoff_s, 2.0**printer.failures)
                printer.failures += 1
                printer.changed = True
                retry_at = self.clock() + timedelta(seconds=delay)
                marked = await self.store.print_retry(job.id, retry_at, reason)
                report.waiting.append(job.id)
                log.info("printer %s: %s; job %d waits %.0f s", name, reason, job.id, delay)
            await self._save(name, printer)
            if not marked:  # the lease ran out mid-job and another process took over
                log.warning("printer %s: job %d was taken over; this process stops", name, job.id)
                printer.held = False
                return
            if outcome is Outcome.WAIT:
                return

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
                printout = Printout(job.id, job.slip, data, lambda: rows_png(rows, config.geometry))
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
