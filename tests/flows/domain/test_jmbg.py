"""JMBG: which numbers a citizen may enter, and what the number tells about them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from flows.domain.jmbg import (
    MIN_AGE,
    REGION_KEYS,
    REGIONS,
    Jmbg,
    check_age,
    old_enough,
    parse_jmbg,
)
from flows.domain.textinput import Invalid

TODAY = date(2025, 6, 1)
_WEIGHTS = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def remainder(first12: str) -> int:
    return sum(int(d) * w for d, w in zip(first12, _WEIGHTS, strict=True)) % 11


def build(born: date, region: int, serial: int) -> str | None:
    """A JMBG computed from the rule here in the test; None when r = 1 (no such number)."""
    first12 = f"{born.day:02}{born.month:02}{born.year % 1000:03}{region:02}{serial:03}"
    r = remainder(first12)
    if r == 1:
        return None
    return first12 + str(0 if r == 0 else 11 - r)


def must_build(born: date, region: int, serial: int) -> str:
    value = build(born, region, serial)
    assert value is not None, "pick another serial: r = 1 for this one"
    return value


def r1_prefix() -> str:
    """Twelve digits for which no check digit exists."""
    for serial in range(1000):
        first12 = f"0101990{71:02}{serial:03}"
        if remainder(first12) == 1:
            return first12
    raise AssertionError("no r = 1 prefix found")


VALID = [
    pytest.param("0512981717776", date(1981, 12, 5), "71", "belgrade", "f", id="worked-example"),
    pytest.param(
        "0512 981 71777 6", date(1981, 12, 5), "71", "belgrade", "f", id="typed-in-groups"
    ),
    pytest.param(
        " 0512981717776\n", date(1981, 12, 5), "71", "belgrade", "f", id="surrounding-space"
    ),
    pytest.param(
        must_build(date(2000, 2, 29), 72, 124),
        date(2000, 2, 29),
        "72",
        "sumadija_pomoravlje",
        "m",
        id="kragujevac-man-leap-day-2000",
    ),
    pytest.param(
        must_build(date(1999, 12, 31), 80, 500),
        date(1999, 12, 31),
        "80",
        "novi_sad",
        "f",
        id="novi-sad-first-female-serial",
    ),
    pytest.param(
        must_build(date(1999, 1, 1), 80, 499),
        date(1999, 1, 1),
        "80",
        "novi_sad",
        "m",
        id="last-male-serial",
    ),
    pytest.param(
        must_build(date(1800, 1, 1), 73, 10),
        date(1800, 1, 1),
        "73",
        "nis",
        "m",
        id="year-digits-800-mean-1800",
    ),
    pytest.param(
        must_build(date(1900, 3, 1), 91, 2),
        date(1900, 3, 1),
        "91",
        "pristina",
        "m",
        id="kosovo-region",
    ),
    pytest.param(
        must_build(date(2010, 7, 15), 70, 2),
        date(2010, 7, 15),
        "70",
        "abroad",
        "m",
        id="registered-abroad",
    ),
    pytest.param(
        must_build(date(1975, 5, 20), 17, 900),
        date(1975, 5, 20),
        "17",
        None,
        "f",
        id="sarajevo-other-republic",
    ),
    pytest.param(
        must_build(date(1988, 8, 8), 83, 8),
        date(1988, 8, 8),
        "83",
        None,
        "m",
        id="serbian-range-unknown-region",
    ),
    pytest.param(must_build(TODAY, 71, 0), TODAY, "71", "belgrade", "m", id="born-today"),
]


@pytest.mark.parametrize(("raw", "born", "region", "region_key", "sex"), VALID)
def test_valid_numbers_are_read(
    raw: str, born: date, region: str, region_key: str | None, sex: str
) -> None:
    result = parse_jmbg(raw, TODAY)
    assert isinstance(result, Jmbg)
    assert result.value == "".join(raw.split())
    assert result.birth_date == born
    assert result.region_code == region
    assert result.region_key == region_key
    assert result.region_known == (region_key is not None)
    assert result.sex == sex


INVALID = [
    pytest.param("05129817177x6", "not_digits", id="letter"),
    pytest.param("0512981-717776", "not_digits", id="hyphen"),
    pytest.param("JMBG 0512981717776", "not_digits", id="label-typed-along"),
    pytest.param("3102981717776", "date", id="31-february"),
    pytest.param("0513981717776", "date", id="month-13"),
    pytest.param("0012981717776", "date", id="day-00"),
    pytest.param("2902001717776", "date", id="29-feb-2001"),
    pytest.param(
        must_build(TODAY + timedelta(days=1), 71, 1),
        "future",
        id="born-tomorrow",
    ),
    pytest.param("0512980717776", "checksum", id="year-typo"),
    pytest.param("0512981717775", "checksum", id="check-digit-off-by-one"),
    pytest.param("0512981717767", "checksum", id="last-two-swapped"),
    pytest.param(r1_prefix() + "0", "checksum_r1", id="r-is-1-with-0"),
    pytest.param(r1_prefix() + "1", "checksum_r1", id="r-is-1-with-1"),
]


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_invalid_numbers_say_which_rule_failed(raw: str, reason: str) -> None:
    assert parse_jmbg(raw, TODAY) == Invalid(reason)


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("   ", 0, id="only-spaces"),
        pytest.param("051298171777", 12, id="twelve-digits"),
        pytest.param("05129817177761", 14, id="fourteen-digits"),
        pytest.param("0512 9817 1777 612", 15, id="fifteen-in-groups"),
        pytest.param("0512981717776" * 9, 117, id="pasted-nine-times"),
    ],
)
def test_a_wrong_count_of_digits_says_how_many_were_typed(raw: str, typed: int) -> None:
    assert parse_jmbg(raw, TODAY) == Invalid("length", (("typed", str(typed)),))


@pytest.mark.parametrize("check", [str(d) for d in range(10) if d != 6])
def test_every_other_check_digit_is_refused(check: str) -> None:
    assert parse_jmbg("051298171777" + check, TODAY) == Invalid("checksum")


def test_digits_from_another_keyboard_are_read() -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "0512981717776")
    result = parse_jmbg(full_width, TODAY)
    assert isinstance(result, Jmbg)
    assert result.value == "0512981717776"


dates = st.dates(min_value=date(1800, 1, 1), max_value=TODAY)


@given(born=dates, region=st.integers(0, 99), serial=st.integers(0, 999))
def test_any_number_built_by_the_rule_is_accepted(born: date, region: int, serial: int) -> None:
    value = build(born, region, serial)
    assume(value is not None)
    assert value is not None
    result = parse_jmbg(value, TODAY)
    assert isinstance(result, Jmbg)
    assert result.birth_date == born
    assert result.region_code == f"{region:02}"
    assert result.sex == ("m" if serial < 500 else "f")
    assert result.in_serbia == (70 <= region <= 89 or 91 <= region <= 97)


@given(
    born=dates,
    region=st.integers(0, 99),
    serial=st.integers(0, 999),
    position=st.integers(0, 12),
    delta=st.integers(1, 9),
)
def test_any_single_digit_typo_is_refused(
    born: date, region: int, serial: int, position: int, delta: int
) -> None:
    value = build(born, region, serial)
    assume(value is not None)
    assert value is not None
    typo = value[:position] + str((int(value[position]) + delta) % 10) + value[position + 1 :]
    assert not isinstance(parse_jmbg(typo, TODAY), Jmbg)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        pytest.param(date(2009, 6, 1), date(2025, 6, 1), 16, id="16th-birthday"),
        pytest.param(date(2009, 6, 2), date(2025, 6, 1), 15, id="day-before-16th-birthday"),
        pytest.param(date(1981, 12, 5), date(2025, 6, 1), 43, id="worked-example"),
        pytest.param(date(2008, 2, 29), date(2025, 2, 28), 16, id="leap-day-born-on-28-feb"),
        pytest.param(date(2008, 2, 29), date(2024, 2, 28), 15, id="leap-day-born-before-day"),
        pytest.param(date(2008, 2, 29), date(2024, 2, 29), 16, id="leap-day-born-on-the-day"),
        pytest.param(date(2025, 6, 1), date(2025, 6, 1), 0, id="newborn"),
    ],
)
def test_age_on_a_day(born: date, on: date, age: int) -> None:
    jmbg = parse_jmbg(must_build(born, 71, 1), on)
    assert isinstance(jmbg, Jmbg)
    assert jmbg.age_on(on) == age
    assert old_enough(jmbg, on) == (age >= MIN_AGE)


@pytest.mark.parametrize(
    ("born", "allowed"),
    [
        pytest.param(date(2009, 6, 1), True, id="exactly-16"),
        pytest.param(date(2009, 6, 2), False, id="16-tomorrow"),
        pytest.param(date(1950, 1, 1), True, id="senior"),
    ],
)
def test_only_citizens_aged_16_and_over_may_register(born: date, allowed: bool) -> None:
    jmbg = parse_jmbg(must_build(born, 72, 302), TODAY)
    assert isinstance(jmbg, Jmbg)
    result = check_age(jmbg, TODAY)
    if allowed:
        assert result is jmbg
    else:
        assert result == Invalid("too_young", (("min_age", "16"),))


def test_region_codes_are_message_key_friendly() -> None:
    assert len(set(REGION_KEYS)) == len(REGION_KEYS)
    for code, key in REGIONS.items():
        assert key.isascii() and key.replace("_", "").isalpha() and key.islower()
        assert 70 <= int(code) <= 89 or 91 <= int(code) <= 97


def test_the_number_never_shows_in_repr() -> None:
    jmbg = parse_jmbg("0512981717776", TODAY)
    assert isinstance(jmbg, Jmbg)
    for shown in (repr(jmbg), str(jmbg), f"{jmbg}"):
        assert "0512981717776" not in shown
        assert "1981" not in shown


@pytest.mark.parametrize(
    ("region", "where"),
    [
        pytest.param(72, "sumadija_pomoravlje", id="a-region-of-serbia"),
        pytest.param(70, "abroad", id="a-serbian-consular-post"),
        pytest.param(17, "bosnia_herzegovina", id="sarajevo"),
        pytest.param(21, "montenegro", id="podgorica"),
        pytest.param(33, "croatia", id="zagreb"),
        pytest.param(41, "north_macedonia", id="skopje"),
        pytest.param(50, "slovenia", id="slovenia"),
        pytest.param(3, "foreign_citizen", id="a-foreigner-given-a-number"),
        pytest.param(83, "unknown", id="serbian-range-no-region"),
        pytest.param(65, "unknown", id="unused-range"),
    ],
)
def test_where_a_number_was_given_is_named_in_serbia_and_beyond(region: int, where: str) -> None:
    """DESIGN: a region outside Serbia is accepted, and reported when known."""
    result = parse_jmbg(must_build(date(1980, 1, 2), region, 123), TODAY)
    assert isinstance(result, Jmbg) and result.registered_in == where
    assert where in REGION_KEYS
