"""The registration dialogue the benchmark plays, shared by our engine and the two peers.

Who the simulated citizens are and what each one types or presses (`Say`), the screens the
peers show (the same message keys, choices and validators our engine uses, so rendering and
validation cost the same everywhere), the Bot API JSON of each update, and the driver that
plays many users interleaved and times every message.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from ecitizen.config import SAMPLE_HALLS, EngineConfig
from flows.conversations.booking import WALK_IN, day_label, hall_label
from flows.conversations.menu import FLOW_OF
from flows.conversations.registration import REGISTRATION
from flows.domain.email import parse_email
from flows.domain.halls import Hall
from flows.domain.idcard import parse_id_number
from flows.domain.jmbg import MIN_AGE, check_digit, old_enough, parse_jmbg
from flows.domain.names import parse_name
from flows.domain.phone import display as display_phone
from flows.domain.phone import parse_phone
from flows.domain.textinput import Invalid, clean_input
from flows.engine.i18n import placeholders, render
from flows.engine.messages import LANGUAGES, Choice, Msg
from flows.engine.present import CONTINUE, LANGUAGE_CHOICES, NO, SKIP, YES

# Monday 30 November 2026, 08:00 in Kragujevac: every run sees the same days and ages.
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
HALLS: dict[str, Hall] = {h.code: h.to_hall() for h in SAMPLE_HALLS}
BOOKING_DAYS = EngineConfig().booking_days

Registered = tuple[str, str, str, str, str]  # first name, last name, JMBG, phone, hall


def clock() -> datetime:
    return NOW


# -- who the citizens are ---------------------------------------------------------------

_FIRST = ("ана", "Марко", "jelena", "NIKOLA", "Милица", "stefan", "Јована", "Đorđe", "ivana")
_LAST = ("петровић", "Jovanović", "НИКОЛИЋ", "marković", "Ђорђевић", "stojanović", "Илић")
_MOBILE = ("060", "061", "062", "063", "064", "065", "066", "069")


@dataclass(frozen=True, slots=True)
class User:
    index: int
    language: str
    first_name: str
    last_name: str
    jmbg: str
    id_number: str
    phone: str
    hall: str
    typo: bool  # types an invalid JMBG once before the right one

    @property
    def bad_jmbg(self) -> str:
        """The same number with a wrong check digit."""
        return self.jmbg[:12] + str((int(self.jmbg[12]) + 1) % 10)


def _jmbgs() -> Iterator[str]:
    """Valid, distinct JMBGs of adults born 1950-1999 in Serbian regions."""
    serial = 0
    while True:
        serial += 1
        born = date(1950, 1, 1) + timedelta(days=(serial * 37) % 18_000)
        region = 71 + serial % 19
        first12 = f"{born:%d%m}{born.year % 1000:03d}{region:02d}{serial % 1000:03d}"
        k = check_digit(first12)
        if k is not None and k < 10:
            yield first12 + str(k)


def make_users(count: int) -> list[User]:
    users: list[User] = []
    halls = list(HALLS)
    for i, jmbg in zip(range(count), _jmbgs(), strict=False):
        users.append(
            User(
                index=i,
                language=LANGUAGES[i % len(LANGUAGES)],
                first_name=_FIRST[i % len(_FIRST)],
                last_name=_LAST[(i // len(_FIRST)) % len(_LAST)],
                jmbg=jmbg,
                id_number=f"{i:09d}",
                phone=f"{_MOBILE[i % len(_MOBILE)]} {1_000_000 + i * 7:07d}",
                hall=halls[i % len(halls)],
                typo=i % 4 == 3,
            )
        )
    return users


# -- what each one does -----------------------------------------------------------------

SayKind = Literal["start", "choice", "text"]


@dataclass(frozen=True, slots=True)
class Say:
    kind: SayKind
    value: str


def script(user: User) -> list[Say]:
    """The whole dialogue of one citizen, message by message."""
    says = [
        Say("start", "/start"),
        Say("choice", f"lang:{user.language}"),
        Say("choice", "menu.register"),
        Say("choice", CONTINUE.id),
        Say("choice", YES.id),
        Say("text", user.first_name),
        Say("text", user.last_name),
    ]
    if user.typo:
        says.append(Say("text", user.bad_jmbg))
    says += [
        Say("text", user.jmbg),
        Say("text", user.id_number),
        Say("text", user.phone),
        Say("choice", SKIP.id),
        Say("choice", user.hall),
        Say("choice", WALK_IN),
        Say("choice", "submit"),
    ]
    return says


# -- what the peers show: the same keys, choices and checks as our registration flow ----

_MENU = ("menu.register", "menu.status", "menu.guide", "menu.language")
MENU_CHOICES = tuple(Choice(i, Msg(i)) for i in _MENU)
REGISTER = next(k for k, v in FLOW_OF.items() if v == "registration")


@dataclass(slots=True)
class Screen:
    texts: list[Msg] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)


def language_screen() -> Screen:
    return Screen([Msg("menu.welcome_all"), Msg("language.prompt")], list(LANGUAGE_CHOICES))


def menu_screen(said: Sequence[Msg] = ()) -> Screen:
    texts = list(said) or [Msg("menu.welcome")]
    return Screen([*texts, Msg("menu.prompt")], list(MENU_CHOICES))


def step_screen(step: str, slots: dict[str, Any], said: Sequence[Msg] = ()) -> Screen:
    """An ask, confirm or info step of the registration flow, with its prompt."""
    s = REGISTRATION.step(step)
    values = {k: v for k in placeholders(s.prompt) if isinstance(v := slots.get(k), str)}
    choices = {"confirm": [YES, NO], "info": [CONTINUE]}.get(s.kind.value, [])
    if s.optional:
        choices = [SKIP]
    return Screen([*said, Msg.of(s.prompt, **values)], list(choices))


def hall_screen() -> Screen:
    choices = [Choice(h.code, hall_label(h)) for h in HALLS.values()]
    return Screen([Msg.of(REGISTRATION.step("hall").prompt)], choices)


def visit_day_screen(hall: Hall, booked: dict[datetime, int]) -> Screen:
    """Days with a free slot in the booking window, then "without an appointment"."""
    today = hall.local_day(NOW)
    days: list[Choice] = []
    for offset in range(BOOKING_DAYS):
        day = today + timedelta(days=offset)
        if any(s > NOW and booked.get(s, 0) < hall.capacity for s in hall.slots_on(day)):
            days.append(Choice(day.isoformat(), day_label(day)))
    days.append(Choice(WALK_IN, Msg("visit.walk_in")))
    return Screen([Msg.of(REGISTRATION.step("visit_day").prompt)], days)


def summary_screen(slots: dict[str, Any]) -> Screen:
    hall = HALLS[slots["hall"]]
    body = Msg.of(
        "summary.body",
        first_name=slots["first_name"],
        last_name=slots["last_name"],
        jmbg=slots["jmbg"],
        id_number=slots["id_number"],
        phone=display_phone(slots["phone"]),
        email=slots["email"] if slots.get("email") else Msg("summary.no_email"),
        hall=hall_label(hall),
        visit=Msg("visit.walk_in"),
    )
    choices = [Choice("submit", Msg("summary.submit"))]
    choices += [Choice(f"edit_{f}", Msg(f"summary.edit_{f}")) for f in REGISTRATION.editable]
    return Screen([body, Msg.of(REGISTRATION.step("summary").prompt)], choices)


def done_screen(ref: str, hall: str) -> Screen:
    said = [
        Msg.of("reg.done", ref=ref, hall=hall_label(HALLS[hall]), visit=Msg("visit.walk_in")),
        Msg("reg.bring"),
        Msg("reg.follow_here"),
    ]
    return menu_screen(said)


def declined_screen() -> Screen:
    return menu_screen([Msg("reg.declined")])


def check(step: str, raw: str) -> str | Invalid:
    """The step's answer through the same domain validators our flow's checks run."""
    cleaned = clean_input(raw, REGISTRATION.step(step).max_len)
    if isinstance(cleaned, Invalid):
        return Invalid(f"input.{cleaned.reason}", cleaned.values)
    if step in ("first_name", "last_name"):
        name = parse_name(cleaned)
        return _field("name", name) if isinstance(name, Invalid) else name
    if step == "jmbg":
        jmbg = parse_jmbg(cleaned, NOW.date())
        if isinstance(jmbg, Invalid):
            return _field("jmbg", jmbg)
        return jmbg.value if old_enough(jmbg, NOW.date()) else _too_young()
    if step == "id_number":
        number = parse_id_number(cleaned)
        return _field("id_number", number) if isinstance(number, Invalid) else number
    if step == "phone":
        phone = parse_phone(cleaned)
        return _field("phone", phone) if isinstance(phone, Invalid) else phone.e164
    email = parse_email(cleaned)
    return _field("email", email) if isinstance(email, Invalid) else email


def _field(name: str, refusal: Invalid) -> Invalid:
    return Invalid(f"{name}.{refusal.reason}", refusal.values)


def _too_young() -> Invalid:
    return Invalid("jmbg.too_young", (("min_age", str(MIN_AGE)),))


def refusal_screen(step: str, refusal: Invalid, slots: dict[str, Any]) -> Screen:
    return step_screen(step, slots, [Msg.of(f"invalid.{refusal.reason}", **refusal.as_dict())])


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    buttons: tuple[tuple[str, str], ...]  # (choice id, label)


def warm_catalogs() -> None:
    """Load every catalog before the clock starts (they are read on first use)."""
    for language in LANGUAGES:
        render(Msg("menu.welcome"), language)


def render_reply(texts: Sequence[Msg], choices: Sequence[Choice], language: str) -> Rendered:
    return Rendered(
        "\n\n".join(render(m, language) for m in texts),
        tuple((c.id, render(c.label, language)) for c in choices),
    )


# -- the Bot API JSON of each update (what Telegram would post) --------------------------

BOT_ID = 7_000_000_001
_EPOCH = int(NOW.timestamp())


def telegram_update(user: User, update_id: int, say: Say) -> dict[str, Any]:
    """The update Telegram sends for one thing the user does, as JSON."""
    user_id = 100_000 + user.index
    sender = {"id": user_id, "is_bot": False, "first_name": "Citizen"}
    chat = {"id": user_id, "type": "private", "first_name": "Citizen"}
    if say.kind == "choice":
        shown = {
            "message_id": update_id * 2,
            "date": _EPOCH,
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "eCitizen"},
            "text": "...",
        }
        query = {
            "id": str(update_id),
            "from": sender,
            "chat_instance": str(user_id),
            "data": say.value,
            "message": shown,
        }
        return {"update_id": update_id, "callback_query": query}
    message: dict[str, Any] = {
        "message_id": update_id * 2 + 1,
        "date": _EPOCH,
        "chat": chat,
        "from": sender,
        "text": say.value,
    }
    if say.kind == "start":
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(say.value)}]
    return {"update_id": update_id, "message": message}


# -- the driver: many users at once, each waiting for its reply before the next message --


@dataclass(slots=True)
class Timing:
    latencies_ns: list[int]
    wall_ns: int
    cpu_s: float = 0.0  # the process's CPU time over the pass, every thread
    loop_cpu_s: float = 0.0  # of which the event loop's own thread

    @property
    def cpu_us_per_message(self) -> float:
        return self.cpu_s / self.messages * 1e6

    @property
    def loop_cpu_us_per_message(self) -> float:
        return self.loop_cpu_s / self.messages * 1e6

    @property
    def messages(self) -> int:
        return len(self.latencies_ns)

    @property
    def per_second(self) -> float:
        return self.messages / (self.wall_ns / 1e9)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


Send = Callable[[int, int], Awaitable[None]]  # (user index, message index)


async def drive(send: Send, lengths: Sequence[int], in_flight: int) -> Timing:
    """Plays every user's dialogue, `in_flight` users at a time.

    Each lane plays one user at a time and yields to the loop before every message, so the
    users' messages interleave even where an implementation never waits on I/O. Latency runs
    from the moment the user sends (right after the previous reply) to the reply being
    ready, so it includes waiting behind the other users' messages, as a user would.
    """
    latencies: list[int] = []
    users = iter(range(len(lengths)))
    clock_ns = time.perf_counter_ns

    async def lane() -> None:
        for user in users:
            for index in range(lengths[user]):
                t0 = clock_ns()
                await asyncio.sleep(0)
                await send(user, index)
                latencies.append(clock_ns() - t0)

    # The prebuilt inputs are long-lived: keep them out of the collector's way while timed.
    gc.collect()
    gc.freeze()
    try:
        cpu0, loop0 = time.process_time(), time.thread_time()
        start = clock_ns()
        await asyncio.gather(*(lane() for _ in range(min(in_flight, len(lengths)))))
        wall = clock_ns() - start
        cpu, loop = time.process_time() - cpu0, time.thread_time() - loop0
        return Timing(latencies, wall, cpu, loop)
    finally:
        gc.unfreeze()
