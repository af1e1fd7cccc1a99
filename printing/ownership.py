"""Which process prints on a printer: the holder of its lease, one term at a time.

An owner can be stalled and still alive (a busy machine, a slow database), so it never
sends what it cannot prove it still owns:
- each hold is a term with its own number (a fencing token, state/leases.py); a job is
  claimed in a term, and its outcome is written only while that term lasts;
- the lease is renewed while the owner works, from the first job to the last, a third of
  the lease after it was last proved; between jobs every printer the owner holds is
  renewed in one statement, so it keeps its printers without a statement per printer;
- what is sent is bounded by the term as this process can prove it (state.leases.Tenure),
  checked before every write by the thread that sends, which needs no event loop: a send
  that would outlast it is cut off, a margin before the lease runs out;
- a process taking over a printer whose lease ran out starts only that margin after the
  old lease's end, so the old owner has stopped and what it sent has drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.engine.ports import PrinterStore
from state.leases import PRINTER_LEASE, Tenure, alongside, printer_lease

log = logging.getLogger(__name__)
# Who holds each printer and what each connection did, to follow a takeover (job ids and
# terms only: nothing a slip says).
timeline = logging.getLogger("printing.timeline")


def tag(term: int) -> str:
    """A term's number as the timeline shows it: its last six digits (a whole one looks like
    a personal number to the log's mask; six tell the terms of one day apart)."""
    return f"#{term % 1_000_000:06d}"


@dataclass(slots=True)
class Hold:
    """This process's hold on one printer."""

    tenure: Tenure | None = None  # its term on the printer, while it holds one
    asked_at: datetime | None = None  # when the lease was last taken, renewed or asked for

    def forget(self) -> None:
        """The term is over or ran out: ask for the lease again at the next turn."""
        self.tenure = self.asked_at = None


class PrinterLeases:
    def __init__(self, store: PrinterStore, clock: Callable[[], datetime], lease_s: float):
        self.store = store
        self.clock = clock
        # A printer whose owner died is taken over within this, the margin and a poll.
        self.lease_s = lease_s
        # The owner stops sending this long before its lease runs out, and a new owner
        # starts this long after it ran out: together they cover a cut send draining and
        # the skew of the machines' clocks.
        self.margin_s = lease_s / 5

    @property
    def ask_every(self) -> timedelta:
        return timedelta(seconds=self.lease_s / 3)

    async def hold(self, name: str, hold: Hold) -> tuple[Tenure | None, bool]:
        """This process's term on the printer, if it holds one, and whether the term is
        new: the lease is taken or renewed every third of its time, and a printer held
        elsewhere is asked for as often while it has work. A new term settles what earlier
        terms left."""
        now = self.clock()
        if hold.asked_at is not None and now - hold.asked_at < self.ask_every:
            return hold.tenure, False
        hold.asked_at = now
        asked = time.monotonic()
        owner = self.store.owner
        term = await self.store.take_lease(printer_lease(name), owner, self.lease_s, self.margin_s)
        held = hold.tenure
        if term is None:
            if held is not None:
                timeline.warning(
                    "printer %s: term %s is over: another holds it", name, tag(held.term)
                )
            hold.tenure = None
            return None, False
        if held is not None and held.term == term.number:
            held.renewed(asked)
            # A claim the old owner made as its lease ran out may have landed after the
            # takeover settled its jobs: settle it now, or it would hold the queue.
            await self.settle_earlier_terms(name)
            return held, False
        hold.tenure = Tenure(term, self.lease_s, self.margin_s, asked)
        timeline.info(
            "printer %s: term %s begins, printing from %s", name, tag(term.number), term.starts_at
        )
        await self.settle_earlier_terms(name)
        return hold.tenure, True

    async def renew_held(self, holds: Mapping[str, Hold]) -> None:
        """Every printer this process holds, renewed in one statement once the oldest proof
        is a third of the lease old, idle ones too: an owner keeps its printers between
        jobs without a statement per printer (or a burst of them every few seconds). A
        printer whose term is over is asked for again at its next job."""
        held = {name: hold for name, hold in holds.items() if hold.tenure is not None}
        if not held or max(h.tenure.age() for h in held.values() if h.tenure) < self.lease_s / 3:
            return
        asked = time.monotonic()
        terms = await self.store.renew_leases(PRINTER_LEASE, self.store.owner, self.lease_s)
        now = self.clock()
        for name, hold in held.items():
            tenure = hold.tenure
            if tenure is None:
                continue
            if terms.get(printer_lease(name)) == tenure.term:
                tenure.renewed(asked)
                hold.asked_at = now
            else:
                timeline.warning("printer %s: term %s is over", name, tag(tenure.term))
                hold.forget()

    async def settle_earlier_terms(self, name: str) -> None:
        """Jobs an earlier term left PRINTING were cut off mid-print: UNCERTAIN."""
        uncertain = await self.store.mark_uncertain(name)
        if uncertain:
            log.warning("printer %s: %d job(s) of a term that is over: uncertain", name, uncertain)

    @contextlib.asynccontextmanager
    async def renewed(self, name: str, hold: Hold, tenure: Tenure) -> AsyncIterator[None]:
        """While the body runs, the term is renewed a third of the lease after it was
        last proved, so an owner at work keeps its printer however long it works. A
        refusal ends the term at once: the send in progress stops."""
        async with alongside(self._keep(name, hold, tenure), f"renew printer {name}"):
            yield

    async def _keep(self, name: str, hold: Hold, tenure: Tenure) -> None:
        every = self.lease_s / 3
        while True:
            await asyncio.sleep(max(0.0, every - tenure.age()))
            asked = time.monotonic()
            try:
                held = await self.store.renew_lease(
                    printer_lease(name), self.store.owner, self.lease_s, tenure.term
                )
            except Exception as exc:  # the database may be briefly away: try again
                log.warning("printer %s: lease not renewed (%s)", name, type(exc).__name__)
                await asyncio.sleep(min(every, 1.0))
                continue
            if not held:
                timeline.warning("printer %s: term %s lost while working", name, tag(tenure.term))
                tenure.lose()
                return
            tenure.renewed(asked)
            hold.asked_at = self.clock()

    async def release(self, name: str, hold: Hold) -> None:
        """Give the printer up, so another process takes it at once."""
        if hold.tenure is not None:
            hold.forget()
            with contextlib.suppress(Exception):
                await self.store.release_lease(printer_lease(name), self.store.owner)
