"""Free text: what is kept of what a person typed, and what is refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.textinput import REASONS, Invalid, clean_input, compact

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize(
    ("raw", "max_len", "kept"),
    [
        pytest.param("  Добар дан  ", 20, "Добар дан", id="trimmed"),
        pytest.param("e\u0301", 5, "é", id="nfc"),
        pytest.param("ab\u200bc", 5, "abc", id="zero-width-space-dropped"),
        pytest.param("\ufeffhello", 5, "hello", id="byte-order-mark-dropped"),
        pytest.param("Kragu\u00adjevac", 10, "Kragujevac", id="soft-hyphen-dropped"),
        pytest.param("\u200fok\u200e", 5, "ok", id="direction-marks-dropped"),
        pytest.param("👨\u200d👩\u200d👧", 5, "👨\u200d👩\u200d👧", id="emoji-joiner-kept"),
        pytest.param("x" * 10, 10, "x" * 10, id="exactly-max-len"),
        pytest.param("  " + "x" * 10 + "  ", 10, "x" * 10, id="max-len-counted-after-trim"),
        pytest.param("a  b", 5, "a  b", id="inner-spaces-kept"),
    ],
)
def test_text_is_kept_cleaned(raw: str, max_len: int, kept: str) -> None:
    assert clean_input(raw, max_len) == kept


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param(" \n\t ", "empty", id="only-whitespace"),
        pytest.param("\u200b", "empty", id="only-invisible"),
        pytest.param("a\x00b", "control", id="nul"),
        pytest.param("a\nb", "control", id="newline-in-single-line"),
        pytest.param("a\tb", "control", id="tab"),
        pytest.param("a\x1bb", "control", id="escape"),
        pytest.param("a\x7fb", "control", id="delete"),
        pytest.param("a\x9bb", "control", id="c1-control"),
        pytest.param("a\u2028b", "control", id="line-separator"),
        *[pytest.param(f"a{ch}b", "control", id=f"bidi-U+{ord(ch):04X}") for ch in BIDI_CONTROLS],
    ],
)
def test_refused_text_says_why(raw: str, reason: str) -> None:
    assert clean_input(raw, 100) == Invalid(reason)


def test_too_long_text_says_the_limit_and_how_long_it_was() -> None:
    assert clean_input("x" * 11, 10) == Invalid("too_long", (("max", "10"), ("typed", "11")))


def test_without_a_bound_the_length_is_left_to_the_field_s_own_rule() -> None:
    assert clean_input(" " + "1" * 10_000, None) == "1" * 10_000


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("first line\r\nsecond", "first line\nsecond", id="crlf"),
        pytest.param("first\rsecond", "first\nsecond", id="cr"),
        pytest.param("\n\nfirst\nsecond\n\n", "first\nsecond", id="outer-lines-trimmed"),
    ],
)
def test_multiline_text_keeps_its_lines(raw: str, kept: str) -> None:
    assert clean_input(raw, 100, multiline=True) == kept


@pytest.mark.parametrize("raw", ["a\tb", "a\x00b", "a\u202eb", "a\u2028b"])
def test_multiline_text_still_refuses_controls(raw: str) -> None:
    assert clean_input(raw, 100, multiline=True) == Invalid("control")


def test_a_limit_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        clean_input("x", 0)


@pytest.mark.parametrize(
    ("raw", "compacted"),
    [
        pytest.param("0512 981\u00a0717776", "0512981717776", id="spaces-and-no-break-space"),
        pytest.param("\u200e064\u200f", "064", id="direction-marks"),
        pytest.param("٠٦٤", "064", id="arabic-indic-digits"),
        pytest.param("12-34", "12-34", id="other-characters-stay"),
    ],
)
def test_compact(raw: str, compacted: str) -> None:
    assert compact(raw) == compacted


@given(raw=st.text(max_size=80), max_len=st.integers(1, 40), multiline=st.booleans())
def test_kept_text_is_always_safe_to_store_and_show(
    raw: str, max_len: int, multiline: bool
) -> None:
    result = clean_input(raw, max_len, multiline=multiline)
    if isinstance(result, Invalid):
        assert result.reason in REASONS
        return
    assert result
    assert len(result) <= max_len
    assert result == result.strip()
    assert unicodedata.is_normalized("NFC", result)
    assert not any(ch in BIDI_CONTROLS for ch in result)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in result)
    if not multiline:
        assert "\n" not in result
