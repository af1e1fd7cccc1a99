"""Usernames the built-in account provider prints on the credentials slip."""

from __future__ import annotations

from itertools import islice

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.names import SERBIAN_CYRILLIC
from flows.domain.usernames import MAX_LEN, is_generated_username, username_candidates


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [
        pytest.param("Marko", "Marković", "marko.markovic", id="latin"),
        pytest.param("Ђорђе", "Марковић", "djordje.markovic", id="cyrillic"),
        pytest.param("Željko", "Čačić", "zeljko.cacic", id="carons"),
        pytest.param("Џон", "Ђокић", "dzon.djokic", id="dz-and-dj"),
        pytest.param("Љубица", "Њежић", "ljubica.njezic", id="lj-and-nj"),
        pytest.param("Ana-Marija", "Petrović", "ana.marija.petrovic", id="hyphenated-first"),
        pytest.param("Ana Marija", "Petrović", "ana.marija.petrovic", id="two-first-names"),
        pytest.param("Seán", "O'Brien", "sean.obrien", id="apostrophe-dropped"),
        pytest.param("Łukasz", "Müller", "lukasz.muller", id="other-latin"),
        pytest.param(
            "Aleksandra Ana-Marija",
            "Petrović-Njegoš Vukašinović",
            "a.petrovic.njegos.vukasinovic",
            id="long-name-uses-initial",
        ),
        pytest.param(
            "Ana",
            "Petrović-Njegoš Vukašinović Dragoslavljević",
            "a.petrovic.njegos.vukasinovic",
            id="very-long-surname-is-cut",
        ),
    ],
)
def test_the_first_username_reads_like_the_name(first: str, last: str, username: str) -> None:
    assert next(username_candidates(first, last)) == username
    assert is_generated_username(username)


def test_taken_usernames_are_followed_by_numbered_ones() -> None:
    assert list(islice(username_candidates("Ђорђе", "Марковић"), 4)) == [
        "djordje.markovic",
        "djordje.markovic.2",
        "djordje.markovic.3",
        "djordje.markovic.4",
    ]


def test_numbered_usernames_still_fit() -> None:
    candidates = list(islice(username_candidates("Aleksandra", "Vukašinović-Dragoslavljević"), 120))
    assert all(is_generated_username(c) for c in candidates)
    assert candidates[0] == "a.vukasinovic.dragoslavljevic"
    assert candidates[99] == "a.vukasinovic.dragoslavlje.100"
    assert len(candidates[99]) == MAX_LEN
    assert len(set(candidates)) == len(candidates)


def test_the_e_mail_address_comes_first_when_given() -> None:
    candidates = list(islice(username_candidates("Marko", "Marković", email="Marko@Example.rs"), 3))
    assert candidates == ["marko@example.rs", "marko.markovic", "marko.markovic.2"]


@pytest.mark.parametrize(
    ("text", "generated"),
    [
        pytest.param("marko.markovic", True, id="name"),
        pytest.param("marko.markovic.12", True, id="numbered"),
        pytest.param("Marko.Markovic", False, id="capitals"),
        pytest.param(".marko", False, id="leading-dot"),
        pytest.param("marko.", False, id="trailing-dot"),
        pytest.param("marko..markovic", False, id="double-dot"),
        pytest.param("marko_markovic", False, id="underscore"),
        pytest.param("a" * 31, False, id="too-long"),
    ],
)
def test_is_generated_username(text: str, generated: bool) -> None:
    assert is_generated_username(text) is generated


name_letters = sorted(SERBIAN_CYRILLIC) + list("abcčćdđefghijklmnopqrsštuvwxyzžéöüłøß-' ")
names = st.text(alphabet=name_letters, min_size=1, max_size=50)


@given(first=names, last=names)
def test_every_candidate_is_short_plain_and_new(first: str, last: str) -> None:
    candidates = list(islice(username_candidates(first, last), 12))
    assert all(is_generated_username(c) for c in candidates), candidates
    assert len(set(candidates)) == len(candidates)
