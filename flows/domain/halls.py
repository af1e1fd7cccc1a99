"""Counter halls as configured: where they are, when they open, how visits are sliced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Service:
    """A queue service: its ticket prefix letter and the message key of its name."""

    prefix: str
    name_key: str


@dataclass(frozen=True, slots=True)
class Hall:
    code: str  # short, URL-safe: "kg"
    name: str  # as written on the door, in Serbian Cyrillic (transliterated for Latin)
    name_en: str
    address: str
    timezone: str = "Europe/Belgrade"
    # weekday (0 = Monday) -> (opens, closes); a missing day is closed
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)
    slot_minutes: int = 20
    capacity: int = 2  # visits per slot
    counters: tuple[str, ...] = ("1", "2")
    services: tuple[Service, ...] = (
        Service("A", "service.registration"),
        Service("B", "service.help"),
    )
    printer: str = "file"  # the printer beside the hall's screen (tickets, receipts)
    counter_printers: dict[str, str] = field(default_factory=dict)  # counter -> printer
    phone: str = ""  # for help by phone (empty: not published)

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.tz)
        span = self.hours.get(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, now: datetime) -> datetime | None:
        """When the hall next opens after now (within a fortnight), or None: never."""
        local = now.astimezone(self.tz)
        for ahead in range(15):
            day = local.date() + timedelta(days=ahead)
            span = self.hours.get(day.weekday())
            if span is not None and (opens := datetime.combine(day, span[0], self.tz)) > now:
                return opens
        return None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_day(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def slots_on(self, day: date) -> list[datetime]:
        """Visit slot starts on a day, as aware datetimes in the hall's time zone."""
        span = self.hours.get(day.weekday())
        if span is None:
            return []
        opens, closes = span
        start = datetime.combine(day, opens, self.tz)
        end = datetime.combine(day, closes, self.tz)
        step = timedelta(minutes=self.slot_minutes)
        out: list[datetime] = []
        while start + step <= end:
            out.append(start)
            start += step
        return out

    def printer_for_counter(self, counter: str | None) -> str:
        if counter is not None and counter in self.counter_printers:
            return self.counter_printers[counter]
        return self.printer
