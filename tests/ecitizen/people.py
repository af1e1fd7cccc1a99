"""Simulated people for the load and crash tests: who they are and what they answer.

Each person has personal data of their own (a valid, unique JMBG, ID card number, phone
and last name), so a test can tell whose data is where. What a person answers depends only
on the screen in front of them (its step and its choices), the same on Telegram, in the
web chat and at the kiosk; the channels (browsers.py, telegram_people.py) only carry it.
Whatever goes wrong on the way is written into the Journal, not raised: a run of hundreds
of people reports every kind of failure it met, with examples, instead of the first.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flows.engine.i18n import render
from flows.engine.messages import Msg

REF = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b")
TICKET = re.compile(r"\b[AB]\d{3}\b")
WEIGHTS = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
FIRST_NAMES = ("Ana", "Marko", "Jelena", "Nikola", "Milica", "Stefan", "Ivana", "Luka")
SYLLABLES = ("ko", "vi", "ma", "ne", "lu", "si", "to", "da", "re", "bo")
LANGUAGE = "en"  # every simulated person reads English: the texts are matched below


def jmbg(i: int) -> str:
    """A valid JMBG, different for every i below 16,800: born 1950-1999, region 71."""
    day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 1950 + (i // 336) % 50
    for serial in range(100, 1000):
        head = f"{day:02d}{month:02d}{year % 1000:03d}71{serial:03d}"
        r = sum(int(d) * w for d, w in zip(head, WEIGHTS, strict=True)) % 11
        if r != 1:
            return head + str(0 if r == 0 else 11 - r)
    raise AssertionError("no valid JMBG")  # pragma: no cover - some serial always works


def last_name(i: int) -> str:
    """Unique per i, and never a part of another: "Ra", i in syllables, "z" ("Rakovimaz")."""
    parts = []
    while True:
        parts.append(SYLLABLES[i % len(SYLLABLES)])
        i //= len(SYLLABLES)
        if i == 0:
            break
    return "Ra" + "".join(parts) + "z"


@dataclass(frozen=True)
class PersonalData:
    index: int
    first_name: str
    last_name: str
    jmbg: str
    id_number: str
    phone: str  # as typed, national format

    @classmethod
    def of(cls, i: int) -> PersonalData:
        return cls(
            i,
            FIRST_NAMES[i % len(FIRST_NAMES)],
            last_name(i),
            jmbg(i),
            f"{300_000_000 + i:09d}",
            f"065{2_000_000 + i:07d}",
        )

    @property
    def e164_digits(self) -> str:
        return "381" + self.phone[1:]

    def markers(self) -> tuple[str, ...]:
        """What identifies this person wherever it is kept: JMBG, ID number, last name."""
        return (self.jmbg, self.id_number, self.last_name)


# -- what is on screen, and what a person does about it ------------------------------


@dataclass
class Screen:
    step: str  # "registration.first_name", "menu", "officer.home"... ("" unknown)
    text: str
    choices: list[tuple[str, str]]  # (id, label); on Telegram the id is the label
    reference: str | None = None
    ticket: str | None = None

    @property
    def ids(self) -> list[str]:
        return [c[0] for c in self.choices]


@dataclass(frozen=True)
class Pick:
    """Press a button: by choice id (or its English label on Telegram), or by position."""

    id: str | None = None
    index: int | None = None


@dataclass(frozen=True)
class Type:
    text: str


@dataclass(frozen=True)
class ShareContact:
    pass


@dataclass(frozen=True)
class Say:
    """A command: /back, /start, the kiosk's language button..."""

    command: str
    payload: str | None = None


Action = Pick | Type | ShareContact | Say


def label(key: str) -> str:
    return render(Msg(key), LANGUAGE)


# The English labels of the fixed choices the citizens press (Telegram knows only labels).
LABELS = {
    "menu.register": label("menu.register"),
    "menu.checkin": label("menu.checkin"),
    "lang:en": label("language.en"),
    "ok": label("choice.continue"),
    "yes": label("choice.yes"),
    "skip": label("choice.skip"),
    "walk_in": label("visit.walk_in"),
    "submit": label("summary.submit"),
}


@dataclass
class Registrant:
    """A citizen going through "Become an eCitizen" (web chat, Telegram or kiosk)."""

    data: PersonalData
    rng: random.Random
    walk_in: bool  # "I will come without an appointment"
    abandon_after_jmbg: bool = False
    on_telegram: bool = False

    def answer(self, screen: Screen) -> Action | None:
        """The next action on this screen; None: nothing to do here (done, or walked away)."""
        d, step = self.data, screen.step
        if "lang:en" in screen.ids or step == "registration.language":
            return Pick("lang:en")
        fixed: dict[str, Action] = {
            "menu": Pick("menu.register"),
            "registration.intro": Pick("ok"),
            "registration.consent": Pick("yes"),
            "registration.first_name": Type(d.first_name),
            "registration.last_name": Type(d.last_name),
            "registration.jmbg": Type(d.jmbg),
            "registration.id_number": Type(d.id_number),
            "registration.phone": ShareContact() if self.on_telegram else Type(d.phone),
            "registration.email": Pick("skip"),
            "registration.hall": Pick(index=0),
            "registration.summary": Pick("submit"),
        }
        if step == "registration.id_number" and self.abandon_after_jmbg:
            return None  # walks away with JMBG typed
        if step in fixed:
            return fixed[step]
        if step == "registration.visit_day":
            days = len(screen.choices) - 1  # the last one is "without an appointment"
            return Pick("walk_in") if self.walk_in or days < 1 else Pick(index=self.pick(days, 2))
        if step == "registration.visit_time" and screen.choices:
            return Pick(index=self.pick(len(screen.choices), 3))
        return None

    def pick(self, available: int, among_first: int) -> int:
        return self.rng.randrange(min(available, among_first))


# -- the journal: what each person saw go wrong ----------------------------------------


@dataclass
class Journal:
    """Incidents by kind, each with who and what; plus the numbers of a run."""

    incidents: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, kind: str, who: str, detail: str = "") -> None:
        self.incidents[kind].append(f"{who}: {detail}"[:400])

    def count(self, kind: str) -> int:
        return len(self.incidents.get(kind, []))

    def summary(self, examples: int = 3) -> str:
        lines = []
        for kind, found in sorted(self.incidents.items()):
            lines.append(f"  {kind}: {len(found)}, e.g. " + " | ".join(found[:examples]))
        return "\n".join(lines)


def find_ref(text: str) -> str | None:
    found = REF.search(text)
    return found.group(0) if found else None


# -- notices: messages nobody asked for, by kind and what they are about ---------------

NOTICE_KEYS = (
    "notify.approved",
    "notify.rejected",
    "notify.checked_in",
    "notify.called",
    "notify.soon",
    "notify.reminder",
)
_IDENTS = {"ref": REF.pattern, "ticket": TICKET.pattern}


def _notice_pattern(key: str) -> re.Pattern[str]:
    """The first line of the English text, its {ref} and {ticket} captured."""
    template = render(Msg(key), LANGUAGE).split("\n", 1)[0]
    pattern, seen = "", set()
    for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
        pattern += re.escape(literal)
        if name in _IDENTS and name not in seen:
            pattern += f"(?P<{name}>{_IDENTS[name]})"
            seen.add(name)
        elif name:
            pattern += ".*?"
    return re.compile(pattern, re.DOTALL)


NOTICE_PATTERNS = {key: _notice_pattern(key) for key in NOTICE_KEYS}


def notice_of(text: str) -> tuple[str, str] | None:
    """(message key, the reference or ticket it is about) of a notice's text, else None."""
    for key, pattern in NOTICE_PATTERNS.items():
        found = pattern.search(text)
        if found is not None:
            groups = found.groupdict()
            return key, groups.get("ref") or groups.get("ticket") or ""
    return None
