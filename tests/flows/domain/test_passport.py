"""The passport number, as the officer will compare it with the passport."""

from __future__ import annotations

import pytest

from flows.domain.passport import parse_passport_number
from flows.domain.textinput import Invalid

NINE = (("count", "9"),)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("012345678", "012345678", id="leading-zero-kept"),
        pytest.param("123456789", "123456789", id="nine-digits"),
        pytest.param("012 345 678", "012345678", id="typed-in-groups"),
        pytest.param("０１２３４５６７８", "012345678", id="full-width-digits"),
    ],
)
def test_passport_numbers_are_kept_as_nine_digits(raw: str, kept: str) -> None:
    assert parse_passport_number(raw) == kept


@pytest.mark.parametrize(
    ("raw", "refused"),
    [
        pytest.param("12345678", Invalid("length", NINE), id="eight-digits-an-id-card"),
        pytest.param("1234567890", Invalid("length", NINE), id="ten-digits"),
        pytest.param("", Invalid("length", NINE), id="empty"),
        pytest.param("P12345678", Invalid("not_digits", NINE), id="a-letter"),
        pytest.param("012-345-678", Invalid("not_digits", NINE), id="dashes"),
    ],
)
def test_other_input_is_refused_with_the_reason(raw: str, refused: Invalid) -> None:
    assert parse_passport_number(raw) == refused
