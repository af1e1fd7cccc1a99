"""`ecitizen report activation`: per hall and day, how many were approved, how many of them
have logged in with ConsentID since, and where people got stuck (per step and problem).

ecitizen report activation --hall kg --from 2026-11-01 --to 2026-11-30
ecitizen report activation --hall kg --from 2026-11-01 --to 2026-11-30 --csv > report.csv

Read from the audit log ("approve", "activate", "activation_problem"), which keeps no
personal data: the report shows counts only.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ecitizen.app import opened, utc_now
from ecitizen.config import Config
from flows.conversations.activation import STEPS, step_number
from flows.domain.halls import Hall
from flows.engine.i18n import text
from flows.engine.ports import ActivationReport
from flows.engine.records import AuditEntry

LANGUAGE = "en"  # the supervisor's report, like the rest of the command line


@dataclass
class DayCounts:
    approved: int = 0
    activated: int = 0  # of those approved that day, logged in since
    stuck: Counter[tuple[str, str]] = field(default_factory=Counter)  # (step, problem)


@dataclass
class ActivationFigures:
    hall: Hall
    first: date
    last: date
    days: dict[date, DayCounts]

    @property
    def approved(self) -> int:
        return sum(d.approved for d in self.days.values())

    @property
    def activated(self) -> int:
        return sum(d.activated for d in self.days.values())


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="reports for supervisors")
    kinds = report.add_subparsers(dest="report", required=True)
    activation = kinds.add_parser("activation", help="approvals, first logins, where stuck")
    activation.add_argument("--hall", required=True, help="the hall's code, e.g. kg")
    activation.add_argument("--from", dest="first", required=True, type=date.fromisoformat)
    activation.add_argument("--to", dest="last", required=True, type=date.fromisoformat)
    activation.add_argument("--csv", action="store_true", help="CSV instead of a table")


async def activation_figures(
    store: ActivationReport, hall: Hall, first: date, last: date, now: datetime
) -> ActivationFigures:
    """Days are the hall's local calendar days, from `first` to `last` included."""
    start = datetime.combine(first, datetime.min.time(), hall.tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), hall.tz)
    # first logins of people approved in the period count whenever they came
    events = await store.activation_events(hall.code, start, max(end, now) + timedelta(days=1))
    days = {first + timedelta(days=n): DayCounts() for n in range((last - first).days + 1)}
    approved_on: dict[str, date] = {}
    activated: set[str] = set()
    for event in events:
        day = hall.local_day(_at(event))
        if event.action == "activate" and event.ref:
            activated.add(event.ref)
        if day not in days:
            continue
        if event.action == "approve" and event.ref:
            days[day].approved += 1
            approved_on[event.ref] = day
        elif event.action == "activation_problem" and event.detail:
            step, _, problem = event.detail.partition(":")
            days[day].stuck[(step, problem)] += 1
    for ref, day in approved_on.items():
        if ref in activated:
            days[day].activated += 1
    return ActivationFigures(hall, first, last, days)


def _at(event: AuditEntry) -> datetime:
    assert event.at is not None  # the store gives every entry its time
    return event.at


def _step(step: str) -> str:
    name = text(f"activation.step_name.{step}", LANGUAGE) if step in STEPS else step
    return f"{step_number(step)} {name}" if step in STEPS else name


def _problem(problem: str) -> str:
    return text(f"activation.problem.{problem}", LANGUAGE)


def _rate(activated: int, approved: int) -> str:
    return f"{100 * activated // approved}%" if approved else "-"


def as_table(figures: ActivationFigures) -> str:
    hall = figures.hall
    lines = [
        f"Activation report: {hall.name_en} ({hall.code}), {figures.first} to {figures.last}",
        "",
        f"{'Day':<12}{'Approved':>9}{'Activated':>11}{'Rate':>7}",
    ]
    for day, counts in figures.days.items():
        rate = _rate(counts.activated, counts.approved)
        lines.append(f"{day.isoformat():<12}{counts.approved:>9}{counts.activated:>11}{rate:>7}")
    rate = _rate(figures.activated, figures.approved)
    lines.append(f"{'Total':<12}{figures.approved:>9}{figures.activated:>11}{rate:>7}")
    stuck = [
        (day, step, problem, count)
        for day, counts in figures.days.items()
        for (step, problem), count in sorted(counts.stuck.items(), key=_by_step)
    ]
    lines += ["", "Where people got stuck"]
    if not stuck:
        lines.append("nobody reported a problem")
    else:
        lines.append(f"{'Day':<12}{'Step':<18}{'Problem':<48}{'Count':>5}")
        for day, step, problem, count in stuck:
            lines.append(f"{day.isoformat():<12}{_step(step):<18}{_problem(problem):<48}{count:>5}")
    return "\n".join(lines) + "\n"


def _by_step(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (step, problem), _ = item
    return (step_number(step), problem)


def as_csv(figures: ActivationFigures) -> str:
    """One row per day and measure: approved, activated, and each (step, problem) stuck."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["hall", "day", "measure", "step", "problem", "count"])
    for day, counts in figures.days.items():
        code, when = figures.hall.code, day.isoformat()
        writer.writerow([code, when, "approved", "", "", counts.approved])
        writer.writerow([code, when, "activated", "", "", counts.activated])
        for (step, problem), count in sorted(counts.stuck.items(), key=_by_step):
            writer.writerow([code, when, "stuck", step, problem, count])
    return out.getvalue()


async def run_report(config: Config, args: argparse.Namespace) -> int:
    if args.last < args.first:
        sys.stderr.write("--to must not be before --from\n")
        return 2
    async with opened(config) as app:
        hall = app.halls.get(args.hall)
        if hall is None:
            sys.stderr.write(f"unknown hall {args.hall!r}; known: {', '.join(app.halls)}\n")
            return 2
        figures = await activation_figures(app.store, hall, args.first, args.last, utc_now())
        sys.stdout.write(as_csv(figures) if args.csv else as_table(figures))
        return 0
