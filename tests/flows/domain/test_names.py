"""Names: what a citizen may type as a first name or surname, and how it is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.names import (
    MAX_LEN,
    SERBIAN_CYRILLIC,
    name_script,
    parse_name,
    same_name,
    to_ascii,
    to_latin,
)
from flows.domain.textinput import Invalid


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("МАРКОВИЋ", "Марковић", id="cyrillic-all-caps"),
        pytest.param("марковић", "Марковић", id="cyrillic-lowercase"),
        pytest.param("ђорђе", "Ђорђе", id="cyrillic-dj"),
        pytest.param("ĐORĐE", "Đorđe", id="latin-all-caps-with-diacritics"),
        pytest.param("o'brien", "O'Brien", id="apostrophe"),
        pytest.param("O’Neil", "O'Neil", id="typographic-apostrophe-straightened"),
        pytest.param("d'Artagnan", "D'Artagnan", id="lowercase-particle"),
        pytest.param("ana-marija", "Ana-Marija", id="hyphenated"),
        pytest.param("ana - marija", "Ana-Marija", id="spaces-around-hyphen"),
        pytest.param("  ana   marija  ", "Ana Marija", id="spaces-trimmed-and-collapsed"),
        pytest.param("Ana\u00a0Marija", "Ana Marija", id="no-break-space"),
        pytest.param("Ma\u200brko", "Marko", id="zero-width-space-dropped"),
        pytest.param("McDonald", "McDonald", id="deliberate-mixed-case-kept"),
        pytest.param("mARKO", "Marko", id="caps-lock-inverted"),
        pytest.param("Zoe\u0308", "Zoë", id="decomposed-diacritic-composed"),
        pytest.param("ǉubica", "Ljubica", id="lj-ligature-split"),
        pytest.param("Łukasz", "Łukasz", id="polish"),
        pytest.param("Müller-Lüdenscheidt", "Müller-Lüdenscheidt", id="german"),
        pytest.param("Šljivančanin", "Šljivančanin", id="serbian-latin"),
        pytest.param("Jo", "Jo", id="two-letters"),
        pytest.param("Џ" + "а" * (MAX_LEN - 1), "Џ" + "а" * (MAX_LEN - 1), id="fifty-letters"),
    ],
)
def test_names_are_kept_cleaned_and_capitalised(raw: str, kept: str) -> None:
    assert parse_name(raw) == kept


@pytest.mark.parametrize(
    ("raw", "refused"),
    [
        pytest.param("", Invalid("too_short", (("min", "2"),)), id="empty"),
        pytest.param("   ", Invalid("too_short", (("min", "2"),)), id="spaces"),
        pytest.param("a", Invalid("too_short", (("min", "2"),)), id="one-letter"),
        pytest.param(
            "a" * 51, Invalid("too_long", (("max", "50"), ("typed", "51"))), id="fifty-one-letters"
        ),
        pytest.param("Marko1", Invalid("characters"), id="digit"),
        pytest.param("Marko!", Invalid("characters"), id="punctuation"),
        pytest.param("Ana_Marija", Invalid("characters"), id="underscore"),
        pytest.param("-Ana", Invalid("characters"), id="leading-hyphen"),
        pytest.param("Ana-", Invalid("characters"), id="trailing-hyphen"),
        pytest.param("'Ana", Invalid("characters"), id="leading-apostrophe"),
        pytest.param("Ana--Marija", Invalid("characters"), id="double-hyphen"),
        pytest.param("O''Brien", Invalid("characters"), id="double-apostrophe"),
        pytest.param("Ana\u202eMarija", Invalid("characters"), id="bidi-override"),
        pytest.param("Σοφία", Invalid("characters"), id="greek"),
        pytest.param("Ѓорѓи", Invalid("characters"), id="cyrillic-outside-serbian-alphabet"),
        pytest.param("Marko 🙂", Invalid("characters"), id="emoji"),
        pytest.param("Мarko", Invalid("mixed_script"), id="cyrillic-M-in-latin-word"),
        pytest.param("Mаrko", Invalid("mixed_script"), id="cyrillic-a-lookalike"),
        pytest.param("Јelena", Invalid("mixed_script"), id="cyrillic-je-lookalike"),
        pytest.param("Ana Марија", Invalid("mixed_script"), id="one-name-two-scripts"),
    ],
)
def test_refused_names_say_why(raw: str, refused: Invalid) -> None:
    assert parse_name(raw) == refused


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("Ђорђе", "ĐORĐE", True, id="dj-across-scripts"),
        pytest.param("Љубица", "Ljubica", True, id="lj-across-scripts"),
        pytest.param("ЉУБИЦА", "LJUBICA", True, id="lj-all-caps"),
        pytest.param("Њежић", "njezic", False, id="diacritics-count"),
        pytest.param("Њежић", "NJEŽIĆ", True, id="nj-across-scripts"),
        pytest.param("Џон", "Džon", True, id="dz-across-scripts"),
        pytest.param("Марковић", "Marković", True, id="surname-across-scripts"),
        pytest.param("Марковић", "Markovic", False, id="missing-diacritic"),
        pytest.param("Ana-Marija", "ana - marija", True, id="spacing-and-case"),
        pytest.param("Ana  Marija", "ana marija", True, id="double-space"),
        pytest.param("Ana Marija", "Ana-Marija", False, id="space-is-not-hyphen"),
        pytest.param("O'Brien", "O’Brien", True, id="apostrophe-forms"),
        pytest.param("Petar", "Petra", False, id="different-names"),
        pytest.param("Ђорђе", "Djordje", False, id="dj-digraph-is-not-dj-letter"),
    ],
)
def test_same_name_compares_across_scripts(a: str, b: str, same: bool) -> None:
    assert same_name(a, b) is same
    assert same_name(b, a) is same


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("Марковић", "Markovic", True, id="no-diacritics-keyboard"),
        pytest.param("Ђорђе", "Djordje", True, id="dj-spelled-out"),
        pytest.param("Ђорђе", "Dorde", False, id="dj-is-not-d"),
        pytest.param("Šćepanović", "scepanovic", True, id="latin-without-diacritics"),
        pytest.param("Petar", "Petra", False, id="different-names"),
    ],
)
def test_same_name_can_ignore_diacritics(a: str, b: str, same: bool) -> None:
    assert same_name(a, b, ignore_diacritics=True) is same


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        pytest.param("Љубица", "Ljubica", id="lj-title"),
        pytest.param("ЉУБИЦА", "LJUBICA", id="lj-all-caps"),
        pytest.param("КОЊ", "KONJ", id="nj-last-in-caps"),
        pytest.param("Џеповић", "Džepović", id="dz"),
        pytest.param("Ћирић Ђурђевић", "Ćirić Đurđević", id="soft-consonants"),
        pytest.param("Kragujevac 2025", "Kragujevac 2025", id="latin-untouched"),
    ],
)
def test_to_latin(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("text", "ascii"),
    [
        pytest.param("Čačak", "Cacak", id="caron"),
        pytest.param("Đurđevac", "Djurdjevac", id="dj"),
        pytest.param("Џеповић", "Dzepovic", id="cyrillic"),
        pytest.param("Łódź", "Lodz", id="polish"),
        pytest.param("Straße", "Strasse", id="sharp-s"),
    ],
)
def test_to_ascii(text: str, ascii: str) -> None:
    assert to_ascii(text) == ascii


@pytest.mark.parametrize(
    ("name", "script"),
    [
        pytest.param("Марковић", "cyrl", id="cyrillic"),
        pytest.param("Marković", "latn", id="latin"),
        pytest.param("O'Brien", "latn", id="apostrophe-first-letter"),
        pytest.param("", None, id="empty"),
    ],
)
def test_name_script(name: str, script: str | None) -> None:
    assert name_script(name) == script


cyrillic_names = st.text(alphabet=sorted(SERBIAN_CYRILLIC), min_size=2, max_size=MAX_LEN)


@given(cyrillic_names)
def test_a_cyrillic_name_and_its_latin_spelling_are_the_same_name(name: str) -> None:
    kept = parse_name(name)
    assert isinstance(kept, str)
    assert name_script(kept) == "cyrl"
    latin = to_latin(kept)
    assert same_name(kept, latin)
    assert same_name(kept, latin.upper())


@given(st.text(max_size=60))
def test_parsing_a_kept_name_again_keeps_it(raw: str) -> None:
    kept = parse_name(raw)
    if isinstance(kept, str):
        assert parse_name(kept) == kept
        assert 2 <= len(kept) <= MAX_LEN
