"""Choosing a counter hall and a visit slot: the providers the booking steps name.

A day's free times come a page at a time (PAGE_SIZE at most, pages of even size), with a
page turn to the earlier and the later ones: a whole day is 24 times, too many to take in
at once on a phone or a touch screen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flows.domain.halls import Hall
from flows.engine.flow import Step, action, choose
from flows.engine.messages import PAGE_TURN, Choice, Expect, Msg
from flows.engine.steps import PAGE_OUTCOME, PAGE_SLOT
from flows.engine.turn import Parts, Presentation, Turn

WALK_IN = "walk_in"
PAGE_SIZE = 8


def visit_steps(then: str) -> tuple[Step, Step, Step]:
    """The day of the visit (or a walk-in, with no time), then its time, a page at a time;
    a page turn asks the same question again (and is no step of its own: "back" leads to
    the day, not through every page)."""
    return (
        choose(
            "visit_day",
            "visit_day",
            provider="visit_days",
            on={"ok": "visit_time", WALK_IN: "visit_time"},
            clears=("visit",),
        ),
        choose(
            "visit_time",
            "visit",
            provider="visit_times",
            on={"ok": then, PAGE_OUTCOME: "visit_page"},
            expect=Expect.SLOT,
            skip_when="walk_in",
        ),
        action("visit_page", "turn_visit_page", on={"ok": "visit_time"}),
    )


def hall_label(hall: Hall) -> Msg:
    return Msg.of("hall.label", name=hall.name, name_en=hall.name_en, address=hall.address)


def when_label(at: datetime, hall: Hall) -> Msg:
    local = at.astimezone(hall.tz)
    return Msg.of(
        "visit.when",
        weekday=Msg(f"weekday.{local.weekday()}"),
        date=local.strftime("%d.%m.%Y"),
        time=local.strftime("%H:%M"),
    )


def day_label(day: date) -> Msg:
    return Msg.of("visit.day", weekday=Msg(f"weekday.{day.weekday()}"), date=day.strftime("%d.%m."))


async def halls(turn: Turn) -> Presentation:
    return Presentation(choices=[Choice(h.code, hall_label(h)) for h in turn.env.halls.values()])


_SLOTS: dict[tuple[str, date], tuple[datetime, ...]] = {}


def slots_of(hall: Hall, day: date) -> tuple[datetime, ...]:
    """A hall's slot starts on a day; halls are configured once, so computed once."""
    key = (hall.code, day)
    slots = _SLOTS.get(key)
    if slots is None:
        if len(_SLOTS) > 10_000:
            _SLOTS.clear()
        slots = _SLOTS[key] = tuple(hall.slots_on(day))
    return slots


async def _free_slots(
    turn: Turn, hall: Hall, first: date, days: int, first_only: bool = False
) -> dict[date, list[datetime]]:
    """Free slot starts per day; with first_only, just the first free one of each day."""
    now = turn.env.clock()
    start = datetime.combine(first, datetime.min.time(), hall.tz)
    end = start + timedelta(days=days)
    used = await turn.env.store.slot_usage(hall.code, start, end)
    free: dict[date, list[datetime]] = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        for slot in slots_of(hall, day):
            if slot > now and used.get(slot, 0) < hall.capacity:
                free.setdefault(day, []).append(slot)
                if first_only:
                    break
    return free


def _hall_of(turn: Turn) -> Hall | None:
    return turn.env.hall(turn.conv.slots.get("hall"))


async def visit_days(turn: Turn) -> Presentation:
    hall = _hall_of(turn)
    if hall is None:  # no longer configured: the hall is chosen again
        return Presentation(texts=[Msg("visit.hall_gone")])
    today = hall.local_day(turn.env.clock())
    free = await _free_slots(turn, hall, today, turn.env.settings.booking_days, first_only=True)
    choices = [Choice(day.isoformat(), day_label(day)) for day in sorted(free)]
    choices.append(Choice(WALK_IN, Msg("visit.walk_in")))
    texts = [] if len(choices) > 1 else [Msg("visit.none_free")]
    return Presentation(texts=texts, choices=choices)


async def visit_times(turn: Turn) -> Presentation:
    hall = _hall_of(turn)
    day_text = turn.conv.slots.get("visit_day")
    if hall is None or not isinstance(day_text, str) or day_text == WALK_IN:
        return Presentation()
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return Presentation()
    free = (await _free_slots(turn, hall, day, 1)).get(day, [])
    if not free:  # taken meanwhile: the screen steps back to the days, saying so
        return Presentation(texts=[Msg.of("visit.day_full", day=day_label(day))])
    pages = paged(free)
    at = _page_shown(turn, pages)
    shown = pages[at]
    choices = [Choice(slot.isoformat(), Msg.of("visit.time", time=_hhmm(slot))) for slot in shown]
    if len(pages) == 1:
        return Presentation(texts=[day_label(day)], choices=choices)
    if at > 0:
        choices.append(Choice(PAGE_TURN + pages[at - 1][0].isoformat(), Msg("visit.earlier")))
    if at < len(pages) - 1:
        choices.append(Choice(PAGE_TURN + pages[at + 1][0].isoformat(), Msg("visit.later")))
    span = Msg.of(
        "visit.times_page", day=day_label(day), first=_hhmm(shown[0]), last=_hhmm(shown[-1])
    )
    return Presentation(texts=[span], choices=choices)


def _hhmm(slot: datetime) -> str:
    return slot.strftime("%H:%M")


def paged(free: list[datetime]) -> list[list[datetime]]:
    """PAGE_SIZE at most, pages of even size: 24 times as 8 + 8 + 8, 10 as 5 + 5."""
    count = -(-len(free) // PAGE_SIZE)
    size = -(-len(free) // count)
    return [free[i : i + size] for i in range(0, len(free), size)]


def _page_shown(turn: Turn, pages: list[list[datetime]]) -> int:
    """The page turned to last (on this day), else the first. A page is found by its first
    time, so a time taken meanwhile moves no one to another page."""
    marker = turn.conv.slots.get(PAGE_SLOT)
    try:
        wanted = datetime.fromisoformat(marker) if isinstance(marker, str) else None
    except ValueError:
        wanted = None
    if wanted is None or wanted.date() != pages[0][0].date():
        return 0
    return max((i for i, page in enumerate(pages) if page[0] <= wanted), default=0)


async def turn_visit_page(turn: Turn) -> str:
    """The page turned to is in PAGE_SLOT already; the turn leaves no trace in the way back."""
    history = turn.conv.history
    if history and history[-1] == "visit_time":
        turn.conv.history = history[:-1]
    return "ok"


def slot_taken(turn: Turn) -> None:
    """The last place at the chosen time went to someone else between the offer and the
    booking: the time is asked again, as if the step before it had just been answered."""
    conv = turn.conv
    conv.slots.pop("visit", None)
    if "visit_time" in conv.history:
        conv.history = conv.history[
            : len(conv.history) - 1 - conv.history[::-1].index("visit_time")
        ]
    conv.state = "visit_time"
    turn.say("visit.taken")


def visit_of(turn: Turn) -> datetime | None:
    value = turn.conv.slots.get("visit")
    if turn.conv.slots.get("visit_day") == WALK_IN or not isinstance(value, str):
        return None
    return datetime.fromisoformat(value)


def visit_text(turn: Turn, hall: Hall) -> Msg:
    at = visit_of(turn)
    return when_label(at, hall) if at is not None else Msg("visit.walk_in")


PARTS = Parts(
    providers={"halls": halls, "visit_days": visit_days, "visit_times": visit_times},
    actions={"turn_visit_page": turn_visit_page},
    predicates={
        "walk_in": lambda turn: turn.conv.slots.get("visit_day") == WALK_IN,
        "language_chosen": lambda turn: bool(turn.conv.slots.get("_language_chosen")),
    },
)
