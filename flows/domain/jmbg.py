"""JMBG, the citizen's unique master number: DDMMYYYRRBBBK.

DDMMYYY is the birth date (the year is 2000 + YYY when YYY < 800, else 1000 + YYY), RR the
registration region, BBB the serial (000-499 men, 500-999 women), K the check digit: with
weights 7,6,5,4,3,2,7,6,5,4,3,2 over the first twelve digits and r = sum mod 11, K = 0 when
r = 0 and K = 11 - r when r >= 2; no number has r = 1.

A `Jmbg` never shows its digits in repr, so it cannot leak into a log by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from flows.domain.textinput import Invalid, compact, is_ascii_digits

REASONS: tuple[str, ...] = (
    "not_digits",  # something other than digits and spaces
    "length",  # not 13 digits
    "date",  # the first seven digits are no calendar date
    "future",  # the birth date is after today
    "checksum",  # the last digit does not match
    "checksum_r1",  # the first twelve digits can never carry a check digit (r = 1)
    "too_young",  # only from check_age: younger than MIN_AGE
)

MIN_AGE = 16  # the portal accepts citizens aged 16 and over
LENGTH = 13

WEIGHTS: tuple[int, ...] = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# Registration regions in Serbia, as message-key-friendly codes (the engine shows
# "jmbg.region.<key>"). 83, 90 and 97 lie in Serbia's ranges but have no known region.
REGIONS: dict[str, str] = {
    "70": "abroad",  # registered at a Serbian diplomatic or consular post
    "71": "belgrade",
    "72": "sumadija_pomoravlje",  # Kragujevac, Jagodina
    "73": "nis",
    "74": "south_morava",  # Leskovac, Vranje
    "75": "zajecar",
    "76": "podunavlje",  # Smederevo, Požarevac
    "77": "podrinje_kolubara",  # Šabac, Valjevo
    "78": "kraljevo",
    "79": "uzice",
    "80": "novi_sad",
    "81": "sombor",
    "82": "subotica",
    "84": "kikinda",
    "85": "zrenjanin",
    "86": "pancevo",
    "87": "vrsac",
    "88": "ruma",
    "89": "sremska_mitrovica",
    "91": "pristina",
    "92": "kosovska_mitrovica",
    "93": "pec",
    "94": "djakovica",
    "95": "prizren",
    "96": "gnjilane",
}
# Outside Serbia: the republic of former Yugoslavia where the number was given, by its
# first digit (RR 00-09: foreigners given a number, 60-69 unused).
REPUBLICS: dict[str, str] = {
    "0": "foreign_citizen",
    "1": "bosnia_herzegovina",
    "2": "montenegro",
    "3": "croatia",
    "4": "north_macedonia",
    "5": "slovenia",
}
UNKNOWN_REGION = "unknown"
REGION_KEYS: tuple[str, ...] = (
    *REGIONS.values(),
    *REPUBLICS.values(),
    UNKNOWN_REGION,
)

Sex = Literal["m", "f"]


@dataclass(frozen=True, slots=True, repr=False)
class Jmbg:
    value: str  # the 13 digits
    birth_date: date
    region_code: str  # two digits, e.g. "71"
    region_key: str | None  # a REGIONS code; None when the region is not known
    sex: Sex

    def __repr__(self) -> str:
        return "Jmbg(<personal data>)"

    @property
    def in_serbia(self) -> bool:
        """Registered in Serbia (RR 70-89 or 91-97), whether or not the region is known."""
        rr = int(self.region_code)
        return 70 <= rr <= 89 or 91 <= rr <= 97

    @property
    def region_known(self) -> bool:
        return self.region_key is not None

    @property
    def registered_in(self) -> str:
        """Where the number was given, as a REGION_KEYS code: a region of Serbia, another
        republic of former Yugoslavia, or "unknown" (what the officer is shown)."""
        if self.region_key is not None:
            return self.region_key
        if self.in_serbia:
            return UNKNOWN_REGION
        return REPUBLICS.get(self.region_code[0], UNKNOWN_REGION)

    def age_on(self, today: date) -> int:
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_digit(first12: str) -> int | None:
    """The check digit for twelve digits, or None when r = 1 (no valid number exists)."""
    r = sum(int(d) * w for d, w in zip(first12, WEIGHTS, strict=True)) % 11
    if r == 0:
        return 0
    if r == 1:
        return None
    return 11 - r


def birth_date_of(digits: str) -> date | None:
    day, month, yyy = int(digits[0:2]), int(digits[2:4]), int(digits[4:7])
    year = yyy + 2000 if yyy < 800 else yyy + 1000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_jmbg(raw: str, today: date) -> Jmbg | Invalid:
    """Read a typed JMBG (spaces allowed) and say which rule it breaks, if any."""
    digits = compact(raw)
    if digits and not is_ascii_digits(digits):
        return Invalid("not_digits")
    if len(digits) != LENGTH:
        return Invalid("length", (("typed", str(len(digits))),))
    born = birth_date_of(digits)
    if born is None:
        return Invalid("date")
    if born > today:
        return Invalid("future")
    expected = check_digit(digits[:12])
    if expected is None:
        return Invalid("checksum_r1")
    if int(digits[12]) != expected:
        return Invalid("checksum")
    region = digits[7:9]
    return Jmbg(
        value=digits,
        birth_date=born,
        region_code=region,
        region_key=REGIONS.get(region),
        sex="m" if int(digits[9:12]) < 500 else "f",
    )


def old_enough(jmbg: Jmbg, today: date) -> bool:
    return jmbg.age_on(today) >= MIN_AGE


def check_age(jmbg: Jmbg, today: date) -> Jmbg | Invalid:
    """The same JMBG when its holder may use the portal, else Invalid("too_young")."""
    if old_enough(jmbg, today):
        return jmbg
    return Invalid("too_young", (("min_age", str(MIN_AGE)),))
