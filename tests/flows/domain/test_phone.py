"""Phone numbers: the Serbian mobile number a citizen is reached on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.phone import Phone, display, parse_phone
from flows.domain.textinput import Invalid


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("064 123 4567", id="spaced"),
        pytest.param("+381641234567", id="e164"),
        pytest.param("00381 64 123-45-67", id="international-prefix-00"),
        pytest.param("0641234567", id="national-digits"),
        pytest.param("064/123-45-67", id="slash-and-dashes"),
        pytest.param("(064) 123 4567", id="parentheses"),
        pytest.param("+381 (0)64 123 4567", id="trunk-zero-in-brackets"),
        pytest.param("381641234567", id="contact-without-plus"),
        pytest.param("０６４１２３４５６７", id="full-width-digits"),
        pytest.param(" 064 123 4567\n", id="surrounding-space"),
    ],
)
def test_serbian_mobiles_are_read_in_any_usual_spelling(raw: str) -> None:
    result = parse_phone(raw)
    assert isinstance(result, Phone)
    assert result.e164 == "+381641234567"
    assert result.value == "+381641234567"
    assert result.national == "064 123 4567"  # grouped as every example writes it
    assert result.international == "+381 64 123 4567"


@pytest.mark.parametrize("prefix", ["060", "061", "062", "063", "064", "065", "066", "068", "069"])
def test_every_serbian_mobile_network_is_accepted(prefix: str) -> None:
    result = parse_phone(f"{prefix} 123 4567")
    assert isinstance(result, Phone)
    assert result.e164 == f"+381{prefix[1:]}1234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("011 3234567", "not_mobile", id="belgrade-landline"),
        pytest.param("034 335 000", "not_mobile", id="kragujevac-landline"),
        pytest.param("0800 123456", "not_mobile", id="toll-free"),
        pytest.param("+387 61 123 456", "not_serbian", id="bosnia"),
        pytest.param("+383 44 123 456", "not_serbian", id="kosovo"),
        pytest.param("+1 202 555 0100", "not_serbian", id="usa"),
        pytest.param("0038761123456", "not_serbian", id="bosnia-with-00"),
        pytest.param("064 ABC DEFG", "format", id="keypad-letters"),
        pytest.param("0641234567 ext 5", "format", id="extension"),
        pytest.param("", "format", id="empty"),
        pytest.param("my number", "format", id="words"),
        pytest.param("++381641234567", "format", id="double-plus"),
        pytest.param("064 123 4567 +", "format", id="plus-at-end"),
    ],
)
def test_other_numbers_are_refused_with_the_reason(raw: str, reason: str) -> None:
    assert parse_phone(raw) == Invalid(reason)


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        pytest.param("064 123", 6, id="too-short"),
        pytest.param("064 1234 5678 90", 13, id="too-long"),
        pytest.param("+381 64 123 45678", 11, id="too-long-international"),
        pytest.param("0" * 300, 300, id="far-too-long"),
    ],
)
def test_a_wrong_count_of_digits_is_refused_with_the_count(raw: str, typed: int) -> None:
    """Counted as the number is written with its leading 0, like the example."""
    limits = (("min", "9"), ("max", "10"))
    assert parse_phone(raw) == Invalid("length", (*limits, ("typed", str(typed))))


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        pytest.param("+381641234567", "064 123 4567", id="seven-digit-subscriber"),
        pytest.param("+38164123456", "064 123 456", id="six-digit-subscriber"),
        pytest.param("not a number", "not a number", id="unreadable-as-is"),
    ],
)
def test_a_stored_number_is_displayed_as_the_examples_write_it(stored: str, shown: str) -> None:
    assert display(stored) == shown


@given(
    network=st.sampled_from(["60", "61", "62", "63", "64", "65", "66", "69"]),
    subscriber=st.from_regex(r"[0-9]{7}", fullmatch=True),
    spelling=st.sampled_from(["0{n} {a} {b}", "+381{n}{a}{b}", "00381 {n} {a}-{b}", "0{n}/{a}{b}"]),
)
def test_every_spelling_of_a_mobile_gives_one_stored_number(
    network: str, subscriber: str, spelling: str
) -> None:
    raw = spelling.format(n=network, a=subscriber[:3], b=subscriber[3:])
    result = parse_phone(raw)
    assert isinstance(result, Phone)
    assert result.e164 == f"+381{network}{subscriber}"
    assert parse_phone(result.national) == result
    assert parse_phone(result.international) == result


@given(
    network=st.sampled_from(["60", "61", "62", "63", "64", "65", "66", "69"]),
    subscriber=st.from_regex(r"[0-9]{6,7}", fullmatch=True),
)
def test_a_stored_number_is_shown_as_it_was_read(network: str, subscriber: str) -> None:
    """What the summary shows is what the person confirmed when the number was read."""
    read = parse_phone(f"0{network} {subscriber}")
    if isinstance(read, Phone):
        assert display(read.e164) == read.national


def test_showing_a_number_keeps_no_copy_of_it_in_the_process() -> None:
    """The summary shows the number after every change; no memo keeps people's numbers."""
    assert not hasattr(display, "cache_info")


def test_the_number_never_shows_in_repr() -> None:
    phone = parse_phone("064 123 4567")
    assert isinstance(phone, Phone)
    assert "1234567" not in repr(phone)
    assert "123" not in str(phone)
