"""What must hold after a day at the hall, checked against what each person saw.

Each check compares two independent views: the database (what the system believes it
did) and what reached people and paper (the chats of the fake Bot API, the pages the
browsers show, the bytes the fake printers received). Violations are collected, not
raised one by one: a run of minutes reports everything it found at once.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from flows.engine.notify import SENT_AGAIN
from tests.ecitizen.crowd import Outcome
from tests.ecitizen.officers import Officer
from tests.ecitizen.people import NOTICE_KEYS, TICKET, label, notice_of
from tests.fakes.tcp_printer import FakeNetworkPrinter, read

DECISIONS = {"approved": "notify.approved", "rejected": "notify.rejected"}
AGAIN = label(SENT_AGAIN)  # the line a notice sent again in doubt ends with
PRINTER_PROFILE = "TM-T20II"


@dataclass
class Findings:
    """Violations by check; `report()` lists them with a few examples each."""

    found: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, check: str, example: str) -> None:
        self.found[check].append(example)

    def many(self, check: str, examples: Iterable[str]) -> None:
        for example in examples:
            self.add(check, example)

    def __bool__(self) -> bool:
        return bool(self.found)

    def report(self, examples: int = 4) -> str:
        lines = []
        for check, found in self.found.items():
            shown = "; ".join(found[:examples])
            lines.append(f"- {check}: {len(found)} (e.g. {shown})")
        return "\n".join(lines)


@dataclass(frozen=True)
class Notice:
    """A notification as the outbox has it."""

    chat: tuple[str, str]  # channel, user_key
    key: str  # its message key (notify.called, ...)
    about: str  # the reference or ticket it names
    status: str  # done, failed, uncertain (given up in doubt), pending
    sent_again: bool  # taken over in doubt and sent again, saying so


@dataclass
class Snapshot:
    """The rows the checks need, read once the day is over (before the purge)."""

    registrations: dict[str, asyncpg.Record]
    audit: list[asyncpg.Record]
    tickets: list[asyncpg.Record]
    notices: list[Notice]
    print_jobs: list[asyncpg.Record]
    kiosk_conversations: list[asyncpg.Record]


async def snapshot(db: asyncpg.Connection) -> Snapshot:
    registrations = {
        r["ref"]: r for r in await db.fetch("SELECT ref, status, jmbg FROM registrations")
    }
    notices = []
    for row in await db.fetch("SELECT kind, status, payload FROM outbox WHERE kind = 'notify'"):
        out = json.loads(row["payload"]).get("outbound") or {}
        texts = out.get("text") or [{}]
        values = texts[0].get("values") or {}
        about = str(values.get("ref") or values.get("ticket") or "")
        again = texts[-1].get("key") == SENT_AGAIN
        chat = (out["channel"], out["user_key"])
        notices.append(Notice(chat, texts[0].get("key"), about, row["status"], again))
    return Snapshot(
        registrations=registrations,
        audit=await db.fetch("SELECT ref, actor, action FROM audit_log"),
        tickets=await db.fetch(
            "SELECT id, hall, day, service, number, ref FROM tickets ORDER BY id"
        ),
        notices=notices,
        print_jobs=await db.fetch(
            "SELECT id, idempotency_key, printer, slip, status, payload FROM print_jobs "
            "ORDER BY created_at, id"
        ),
        kiosk_conversations=await db.fetch(
            "SELECT user_key, updated_at FROM conversations WHERE channel = 'kiosk'"
        ),
    )


# -- registrations ---------------------------------------------------------------------


def registrations_end_in_one_decision(
    db: Snapshot, outcomes: list[Outcome], officers: list[Officer], findings: Findings
) -> None:
    told = Counter(o.ref for o in outcomes if o.ref)
    check = "every registration a citizen was told of exists, once, for that citizen"
    findings.many(check, [f"{ref} told to {n} people" for ref, n in told.items() if n > 1])
    findings.many(
        check, [f"{ref} is not in the database" for ref in told if ref not in db.registrations]
    )
    findings.many(
        "no registration nobody was told of (a retried message registering twice)",
        [f"{ref} ({r['status']})" for ref, r in db.registrations.items() if ref not in told],
    )
    check = "every registration ends approved or rejected"
    findings.many(
        check,
        [
            f"{ref} is {r['status']}"
            for ref, r in db.registrations.items()
            if r["status"] not in DECISIONS
        ],
    )
    audited = Counter(a["ref"] for a in db.audit if a["action"] in ("approve", "reject"))
    findings.many(
        "exactly one decision in the audit log per registration",
        [f"{ref}: {audited[ref]}" for ref in db.registrations if audited[ref] != 1],
    )
    said = Counter(ref for o in officers for ref, _ in o.decisions)
    verdicts = {ref: verdict for o in officers for ref, verdict in o.decisions}
    check = "officers are told of each decision once, and it is the one that stands"
    findings.many(check, [f"{ref} confirmed {n} times" for ref, n in said.items() if n > 1])
    findings.many(
        check,
        [
            f"{ref}: told {v}, stands {db.registrations[ref]['status']}"
            for ref, v in verdicts.items()
            if ref in db.registrations and db.registrations[ref]["status"] != v
        ],
    )


# -- notices ---------------------------------------------------------------------------


def notices_once(
    db: Snapshot,
    outcomes: list[Outcome],
    received: dict[tuple[str, str], list[str]],
    officers: dict[tuple[str, str], str],
    findings: Findings,
) -> list[str]:
    """`received`: per chat, the texts of the notices that reached it (Telegram) or that
    its page shows (web chat). Expected: what the database says was to be told, and what
    the day says must be told (each citizen their decision, each officer each arrival).

    A notice on its way to Telegram when its server died may have arrived or not: the
    server that took it over either sent it again, ending with a line that says so (the
    person may have it twice, the second copy saying it is the same), or gave it up as
    "uncertain" (it may be missing). Those are told apart from silent repeats and losses,
    and returned (who, what) so the run can report how often it happened."""
    expected: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    in_doubt: dict[tuple[str, str], dict[tuple[str, str], Notice]] = defaultdict(dict)
    for n in db.notices:
        if n.key in NOTICE_KEYS:  # not the officers' printer alarms
            expected[n.chat][(n.key, n.about)] += 1
            if n.sent_again or n.status == "uncertain":
                in_doubt[n.chat][(n.key, n.about)] = n
    told_what_was_decided(db, outcomes, expected, officers, findings)
    whose = {o.chat: o.who for o in outcomes if o.chat} | officers
    doubted: list[str] = []
    for chat in set(expected) | set(received):
        texts = received.get(chat, [])
        plain = Counter(n for n in (notice_of(t) for t in texts if AGAIN not in t) if n)
        again = Counter(n for n in (notice_of(t) for t in texts if AGAIN in t) if n)
        want = expected.get(chat, Counter())
        who = whose.get(chat, f"{chat[0]}:{chat[1][:6]}")
        for notice in want:
            doubt = in_doubt[chat].get(notice)
            if doubt is not None:
                doubted.append(f"{who} {notice} {doubt.status} x{plain[notice] + again[notice]}")
            check, how = notice_seen(chat, plain[notice], again[notice], doubt)
            if check:
                findings.add(check, f"{who} {notice}{how}")
        for notice in plain + again:
            if notice not in want:
                findings.add(f"no notice the database does not know ({chat[0]})", f"{who} {notice}")
    return doubted


def told_what_was_decided(
    db: Snapshot,
    outcomes: list[Outcome],
    expected: dict[tuple[str, str], Counter[tuple[str, str]]],
    officers: dict[tuple[str, str], str],
    findings: Findings,
) -> None:
    for o in outcomes:
        reg = db.registrations.get(o.ref or "")
        if o.chat is None or reg is None or reg["status"] not in DECISIONS:
            continue
        if expected[o.chat][(DECISIONS[reg["status"]], o.ref or "")] == 0:
            findings.add("each decision is to be told to the citizen's chat", f"{o.who} {o.ref}")
    arrivals = {a["ref"] for a in db.audit if a["action"] == "check_in"}
    for chat, name in officers.items():
        missing = [ref for ref in arrivals if expected[chat][("notify.checked_in", ref)] == 0]
        findings.many(
            "each arrival is to be told to every officer", [f"{name}: {r}" for r in missing]
        )


def notice_seen(
    chat: tuple[str, str], plain: int, again: int, doubt: Notice | None
) -> tuple[str, str]:
    """(the check it breaks, how) for one notice of one chat; ("", "") when it holds."""
    if again and (doubt is None or not doubt.sent_again):
        return f"a notice says it is sent again only after a takeover in doubt ({chat[0]})", ""
    if plain > 1 or again > 1 or (doubt is not None and doubt.status == "uncertain" and again):
        return f"no notice twice ({chat[0]})", f" x{plain + again}"
    if plain + again == 0 and (doubt is None or doubt.status != "uncertain"):
        return f"every notice reaches its {chat[0]} chat", ""
    return "", ""


# -- tickets ---------------------------------------------------------------------------


def tickets_whole(db: Snapshot, outcomes: list[Outcome], findings: Findings) -> None:
    by_line: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in db.tickets:
        by_line[(t["day"], t["service"])].append(t["number"])
    for (day, service), numbers in by_line.items():
        expected = list(range(1, len(numbers) + 1))
        if sorted(numbers) != expected:
            gaps = sorted(set(expected) - set(numbers))[:10]
            findings.add(
                "ticket numbers run 1..n without a gap or repeat",
                f"{day} {service}: missing {gaps}",
            )
    held = Counter(label for o in outcomes for label in o.tickets)
    labels = Counter(f"{t['service']}{t['number']:03d}" for t in db.tickets)
    findings.many(
        "every ticket in the queue is held by the one person it was shown to",
        [f"{label} held by {held[label]}" for label in labels if held[label] != 1],
    )
    findings.many(
        "every ticket a person holds is in the queue",
        [label for label in held if label not in labels],
    )
    refs = Counter(t["ref"] for t in db.tickets if t["ref"])
    findings.many(
        "one ticket per checked-in registration",
        [f"{ref}: {n} tickets" for ref, n in refs.items() if n > 1],
    )
    # a ticket's slip is named by hall, day and label (flows.conversations.queueing): one slip each
    unslipped = {
        f"ticket:{t['hall']}:{t['day']}:{t['service']}{t['number']:03d}" for t in db.tickets
    }
    unslipped -= {j["idempotency_key"] for j in db.print_jobs}
    findings.many("every ticket has its slip", sorted(unslipped))


# -- printing --------------------------------------------------------------------------


def _token(job: asyncpg.Record) -> str:
    payload = json.loads(job["payload"])
    return str(payload.get("ticket") or payload.get("username") or payload.get("ref") or "")


def _printed_tokens(text: str, tokens: set[str]) -> list[str]:
    found = [t for t in tokens if t and re.search(rf"(?<![\w.-]){re.escape(t)}(?![\w.-])", text)]
    if not found:  # a ticket slip names its number on a line of its own
        found = [m for m in TICKET.findall(text) if m in tokens]
    return found


def printing_in_order(
    db: Snapshot, printers: dict[str, FakeNetworkPrinter], findings: Findings
) -> None:
    for name, printer in printers.items():
        jobs = [j for j in db.print_jobs if j["printer"] == name]
        order = {_token(j): k for k, j in enumerate(jobs)}
        busy = sorted((c for c in printer.connection_log if c.data), key=lambda c: c.first_at)
        overlaps = [
            f"connections {a.number} and {b.number}"
            for a, b in itertools.pairwise(busy)
            if b.first_at < a.last_at
        ]
        findings.many(f"one slip at a time on printer {name}", overlaps)
        on_paper: list[str] = []
        for connection in busy:
            try:
                slips = read(connection.data, PRINTER_PROFILE)
            except ValueError:
                continue  # torn off mid-command: not a slip
            for slip in slips:
                if slip.cuts:
                    on_paper += _printed_tokens(slip.text, set(order))[:1]
        ranks = [order[t] for t in on_paper]
        behind = [on_paper[k] for k in range(1, len(ranks)) if ranks[k] < ranks[k - 1]]
        findings.many(f"slips come out oldest first on printer {name}", behind)
        copies = Counter(on_paper)
        for job in jobs:
            token, status, n = _token(job), job["status"], copies[_token(job)]
            if n > 1:
                findings.add("no slip printed twice", f"{name} {job['slip']} {token} x{n}")
            elif status == "printed" and n == 0:
                findings.add("a slip marked printed is on paper", f"{name} {job['slip']} {token}")
            elif status not in ("printed", "uncertain"):
                findings.add(
                    "every slip is printed or marked uncertain", f"{name} {token}: {status}"
                )


# -- kiosk idle ------------------------------------------------------------------------


def kiosk_conversations_wiped(db: Snapshot, idle_limit_s: float, findings: Findings) -> None:
    now_us = time.time() * 1e6
    stale = [
        f"{row['user_key'][:12]}…, quiet {(now_us - row['updated_at']) / 1e6:.0f} s"
        for row in db.kiosk_conversations
        if now_us - row["updated_at"] > idle_limit_s * 1e6
    ]
    findings.many(f"no kiosk conversation outlives its idle limit ({idle_limit_s:.0f} s)", stale)


# -- personal data after the purge -----------------------------------------------------


async def personal_data_left(
    db: asyncpg.Connection, schema: str, markers: dict[str, str]
) -> list[str]:
    """Where any marker (JMBG, ID number...) of the erased is still kept: "table.column:
    who" for every text column of every table in the schema."""
    if not markers:
        return []
    columns = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = $1 AND data_type IN ('text', 'character varying', 'json', "
        "'jsonb', 'bytea')",
        schema,
    )
    pattern = "|".join(re.escape(m) for m in markers)
    found = []
    for col in columns:
        table, column = col["table_name"], col["column_name"]
        rows = await db.fetch(
            f'SELECT "{column}"::text AS v FROM "{table}" WHERE "{column}"::text ~ $1', pattern
        )
        for row in rows:
            for marker in re.findall(pattern, row["v"]):
                found.append(f"{table}.{column}: {markers[marker]}")
    return sorted(set(found))


def texts_with(markers: dict[str, str], where: str, body: Any) -> list[str]:
    text = json.dumps(body, ensure_ascii=False)
    return sorted(
        {f"{where} shows data of {who}" for marker, who in markers.items() if marker in text}
    )
