"""The ID card number, as the officer will compare it with the card."""

from __future__ import annotations

import pytest

from flows.domain.idcard import parse_id_number
from flows.domain.textinput import Invalid


def length(typed: int) -> Invalid:
    """The rule, and how many digits were typed: "8 or 9 digits; you typed 10"."""
    return Invalid("length", (("min", "8"), ("max", "9"), ("typed", str(typed))))


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("012345678", "012345678", id="leading-zero-kept"),
        pytest.param("00001234", "00001234", id="many-leading-zeros"),
        pytest.param("12345678", "12345678", id="eight-digits"),
        pytest.param("123456789", "123456789", id="nine-digits"),
        pytest.param("0123 456 78", "012345678", id="typed-in-groups"),
        pytest.param(" 012345678\n", "012345678", id="surrounding-space"),
        pytest.param("０１２３４５６７８", "012345678", id="full-width-digits"),
    ],
)
def test_card_numbers_are_kept_as_digits(raw: str, kept: str) -> None:
    assert parse_id_number(raw) == kept


@pytest.mark.parametrize(
    ("raw", "refused"),
    [
        pytest.param("1234567", length(7), id="seven-digits"),
        pytest.param("1234567890", length(10), id="ten-digits"),
        pytest.param("", length(0), id="empty"),
        pytest.param("12345678A", Invalid("not_digits"), id="letter"),
        pytest.param("12-345-678", Invalid("not_digits"), id="dashes"),
        pytest.param("br. 012345678", Invalid("not_digits"), id="label-typed-along"),
    ],
)
def test_other_input_is_refused_with_the_reason(raw: str, refused: Invalid) -> None:
    assert parse_id_number(raw) == refused
