"""Every letter of both Serbian alphabets comes out of the printer as that letter, on each
path a printer may offer: CP1251, CP855, CP1250, CP852, or drawn as an image. Never '?'."""

from __future__ import annotations

import contextlib

import pytest

from printing.capabilities import capabilities, profile_names
from printing.document import Cut, Document, Line, Span, line
from printing.escpos_render import render_escpos
from printing.layout import Geometry
from printing.samples import sample_document
from tests.fakes.tcp_printer import read

CYRILLIC = "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ"
LATIN = "A B C Č Ć D Dž Đ E F G H I J K L Lj M N Nj O P R S Š T U V Z Ž"
ALPHABETS = {
    "cyrillic": [CYRILLIC, CYRILLIC.lower()],
    "latin": [LATIN, LATIN.lower()],
}
GEO = Geometry.for_paper(80)


def letters_slip(script: str, bold: bool = False) -> Document:
    return Document("ticket", "sr-Cyrl", (*(line(t, bold=bold) for t in ALPHABETS[script]), Cut()))


@pytest.mark.parametrize(
    ("page", "script"),
    [("CP1251", "cyrillic"), ("CP855", "cyrillic"), ("CP1250", "latin"), ("CP852", "latin")],
)
@pytest.mark.parametrize("bold", [False, True])
def test_every_letter_prints_as_itself_in_each_code_page(
    page: str, script: str, bold: bool
) -> None:
    caps = capabilities("default", code_pages=[page])
    [slip] = read(render_escpos(letters_slip(script, bold), caps, GEO), "default")
    assert " ".join(slip.lines) == " ".join(ALPHABETS[script])  # wrapped, nothing lost
    assert set(slip.pages) == {page.lower()}
    assert b"?" not in slip.raw_text
    assert slip.rasters == []


@pytest.mark.parametrize("script", ["cyrillic", "latin"])
def test_without_a_code_page_for_the_script_the_letters_are_drawn_not_replaced(script: str) -> None:
    caps = capabilities("default", code_pages=[])
    [slip] = read(render_escpos(letters_slip(script), caps, GEO), "default")
    assert len(slip.rasters) >= 2  # each alphabet drawn, in one row or more
    assert slip.lines == [] and b"?" not in slip.raw_text
    for raster in slip.rasters:
        assert raster.image.width == GEO.dots
        inked = raster.image.getbbox()
        assert inked is not None and inked[2] - inked[0] > GEO.dots // 2


def test_a_line_mixing_both_scripts_switches_code_page_mid_line() -> None:
    text = "Корисник: Đorđe Čolić, Шабац"
    caps = capabilities("TM-T20II")
    document = Document("ticket", "sr-Cyrl", (Line((Span(text),)), Cut()))
    [slip] = read(render_escpos(document, caps, GEO), "TM-T20II")
    assert slip.lines == [text]
    assert slip.pages == ["cp1251", "cp1250", "cp1251"]


def test_a_printer_with_only_a_latin_page_prints_latin_as_text_and_draws_cyrillic() -> None:
    caps = capabilities("TM-T88IV")  # CP852 only
    assert caps.encodings == ("CP852",)
    document = Document("ticket", "sr-Cyrl", (line(LATIN), line(CYRILLIC), Cut()))
    [slip] = read(render_escpos(document, caps, GEO), "TM-T88IV")
    assert " ".join(slip.lines) == LATIN and len(slip.rasters) == 1


ACCEPTED = []
for _name in profile_names():
    with contextlib.suppress(ValueError):
        ACCEPTED.append(capabilities(_name))


@pytest.mark.parametrize("caps", ACCEPTED, ids=[c.profile for c in ACCEPTED])
@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn"])
def test_no_profile_prints_a_question_mark_for_a_letter(caps, language: str) -> None:
    document = sample_document("credentials", language)
    [*slips] = read(render_escpos(document, caps, GEO), caps.profile)
    assert len(slips) == 1
    assert b"?" not in slips[0].raw_text.replace(b"activate?u=", b"")
    text = "\n".join(slips[0].lines)
    for letter in CYRILLIC + CYRILLIC.lower() + "ČĆĐŠŽčćđšž":
        if letter in text:  # what is printed as text is the letter itself...
            assert letter in "\n".join(document.lines())
    assert slips[0].lines or slips[0].rasters  # ...and the rest is drawn


def test_profiles_that_can_print_neither_script_nor_images_are_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        capabilities("TM-U220")
    assert any(c.profile == "simple" for c in ACCEPTED)  # images only: accepted
