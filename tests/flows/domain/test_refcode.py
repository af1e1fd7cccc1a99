"""Registration references: easy to read aloud and type, and every typo is caught."""

from __future__ import annotations

import random
import re
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.refcode import ALPHABET, EXAMPLE, new_ref, parse_ref
from flows.domain.textinput import Invalid

REF = re.compile(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def is_valid_by_rule(code: str) -> bool:
    """The check rule, restated here: weights 1..8 over the alphabet values, sum mod 31 == 0."""
    chars = code.replace("-", "")
    return sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(chars)) % 31 == 0


SAMPLE = [new_ref(random.Random(seed)) for seed in range(150)]


def test_the_alphabet_has_nothing_that_reads_as_something_else() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("0O1IL") & set(ALPHABET)
    assert ALPHABET.upper() == ALPHABET
    assert ALPHABET.isascii() and ALPHABET.isalnum()


@pytest.mark.parametrize("code", SAMPLE[:20])
def test_new_references_look_like_the_ones_on_the_slip(code: str) -> None:
    assert REF.fullmatch(code)
    assert is_valid_by_rule(code)


def test_new_references_come_from_secrets_by_default() -> None:
    codes = {new_ref() for _ in range(200)}
    assert len(codes) == 200
    assert all(parse_ref(code) == code for code in codes)


def test_a_seeded_generator_gives_the_same_reference() -> None:
    assert new_ref(random.Random(7)) == new_ref(random.Random(7))


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("K7M4-PX9N", id="as-printed"),
        pytest.param("k7m4-px9n", id="lowercase"),
        pytest.param("K7M4PX9N", id="no-hyphen"),
        pytest.param(" k7m4 px9n ", id="space-instead-of-hyphen"),
        pytest.param("K7M-4PX-9N", id="hyphens-elsewhere"),
        pytest.param("K7M4 \u2013 PX9N", id="en-dash"),
        pytest.param("K.7.M.4.P.X.9.N", id="dots"),
        pytest.param("К7М4-РХ9N", id="cyrillic-lookalike-capitals"),
        pytest.param("к7м4рх9n", id="cyrillic-lookalike-lowercase"),
        pytest.param("Ｋ７Ｍ４－ＰＸ９Ｎ", id="full-width"),
        pytest.param("K7M4\u200b-PX9N", id="zero-width-space"),
    ],
)
def test_references_are_read_however_they_are_typed(typed: str) -> None:
    assert parse_ref(typed) == "K7M4-PX9N"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        pytest.param("", "length", id="empty"),
        pytest.param("K7M4-PX9", "length", id="seven-characters"),
        pytest.param("K7M4-PX9NN", "length", id="nine-characters"),
        pytest.param("K7M4-PX0N", "format", id="zero"),
        pytest.param("K7M4-PXON", "format", id="letter-O"),
        pytest.param("K7M4-PX1N", "format", id="one"),
        pytest.param("K7M4-PXIN", "format", id="letter-I"),
        pytest.param("K7M4-PXLN", "format", id="letter-L"),
        pytest.param("K7M4!PX9N", "format", id="punctuation"),
        pytest.param("К7М4-РХ9Ж", "format", id="cyrillic-without-latin-twin"),
        pytest.param("K7M4-PX9P", "check", id="last-character-wrong"),
        pytest.param("7KM4-PX9N", "check", id="first-two-swapped"),
        pytest.param("K7M4-PX9M", "check", id="neighbouring-letter"),
    ],
)
def test_mistyped_references_say_why(typed: str, reason: str) -> None:
    result = parse_ref(typed)
    assert isinstance(result, Invalid)
    assert result.reason == reason


def test_the_format_message_can_show_a_valid_example() -> None:
    result = parse_ref("nonsense")
    assert isinstance(result, Invalid)
    assert result.as_dict() == {"example": EXAMPLE}
    assert parse_ref(EXAMPLE) == EXAMPLE


@pytest.mark.parametrize("code", SAMPLE, ids=[f"ref{i}" for i in range(len(SAMPLE))])
def test_every_single_wrong_character_is_caught(code: str) -> None:
    chars = code.replace("-", "")
    for position in range(len(chars)):
        for other in ALPHABET:
            if other == chars[position]:
                continue
            typo = chars[:position] + other + chars[position + 1 :]
            assert parse_ref(typo) == Invalid("check"), (code, position, other)


@pytest.mark.parametrize("code", SAMPLE, ids=[f"ref{i}" for i in range(len(SAMPLE))])
def test_every_swap_of_two_characters_is_caught(code: str) -> None:
    chars = list(code.replace("-", ""))
    for i, j in combinations(range(len(chars)), 2):
        if chars[i] == chars[j]:
            continue
        swapped = chars.copy()
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert parse_ref("".join(swapped)) == Invalid("check"), (code, i, j)


@given(st.randoms(use_true_random=False))
def test_every_generated_reference_parses_back(rand: random.Random) -> None:
    code = new_ref(rand)
    assert parse_ref(code) == code
    assert parse_ref(code.lower().replace("-", " ")) == code


@given(
    rand=st.randoms(use_true_random=False),
    position=st.integers(0, 7),
    shift=st.integers(1, 30),
)
def test_any_single_substitution_is_detected(
    rand: random.Random, position: int, shift: int
) -> None:
    chars = new_ref(rand).replace("-", "")
    other = ALPHABET[(ALPHABET.index(chars[position]) + shift) % 31]
    typo = chars[:position] + other + chars[position + 1 :]
    assert parse_ref(typo) == Invalid("check")
