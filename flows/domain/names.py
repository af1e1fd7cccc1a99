"""Personal names: first name or surname, in Serbian Cyrillic or in Latin script.

A name is letters of one script (the Serbian Cyrillic alphabet, or Latin letters with any
diacritics), with a space, hyphen or apostrophe between letters; 2 to 50 characters once
trimmed. It is stored in NFKC (hence NFC) form with a straight apostrophe, and each part is
capitalised when it was typed all lower- or all upper-case ("МАРКОВИЋ" -> "Марковић",
"o'brien" -> "O'Brien"); a part typed in deliberate mixed case ("McDonald") is kept.

A name mixing both scripts is refused: on a phone the Cyrillic а, е, о, р, с, х, ј look
exactly like Latin letters, and a mixed name would never match the ID card.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from flows.domain.textinput import Invalid, strip_invisible

REASONS: tuple[str, ...] = ("too_short", "too_long", "characters", "mixed_script")

MIN_LEN = 2
MAX_LEN = 50

Script = Literal["cyrl", "latn"]

_UPPER_PAIRS: dict[str, str] = {
    **dict(zip("АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ", "ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ", strict=True)),
    **{"Љ": "Lj", "Њ": "Nj", "Џ": "Dž"},
}
_TO_LATIN: dict[str, str] = {
    **_UPPER_PAIRS,
    **{cyr.lower(): lat.lower() for cyr, lat in _UPPER_PAIRS.items()},
}
SERBIAN_CYRILLIC = frozenset(_TO_LATIN)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
_SEPARATORS = frozenset(" -'")
_SPACED_HYPHEN = re.compile(r" ?- ?")
_PARTS = re.compile(r"([ \-'])")

# Latin letters NFKD does not take apart; Ð is the letter a Serbian keyboard gives for Đ
# on some systems, so it is read as Đ.
_ASCII_LETTERS = str.maketrans(
    {
        "Đ": "Dj",
        "đ": "dj",
        "Ð": "Dj",
        "ð": "d",
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Æ": "Ae",
        "æ": "ae",
        "Œ": "Oe",
        "œ": "oe",
        "ß": "ss",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "Ħ": "H",
        "ħ": "h",
    }
)


def is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def script_of(ch: str) -> Script | None:
    if ch in SERBIAN_CYRILLIC:
        return "cyrl"
    if is_latin_letter(ch):
        return "latn"
    return None


def name_script(name: str) -> Script | None:
    """The script a (valid) name is written in, e.g. to suggest the citizen's language."""
    for ch in name:
        script = script_of(ch)
        if script is not None:
            return script
    return None


def to_latin(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin; everything else is left as it is.

    Љ, Њ, Џ become "LJ", "NJ", "DŽ" next to capitals (all-caps text), "Lj", "Nj", "Dž"
    otherwise.
    """
    out: list[str] = []
    for i, ch in enumerate(text):
        lat = _TO_LATIN.get(ch)
        if lat is None:
            out.append(ch)
            continue
        if len(lat) == 2 and ch.isupper():
            neighbour = text[i + 1] if i + 1 < len(text) and text[i + 1].isalpha() else ""
            if not neighbour and i > 0:
                neighbour = text[i - 1]
            if neighbour.isupper():
                lat = lat.upper()
        out.append(lat)
    return "".join(out)


def to_ascii(text: str) -> str:
    """Latin or Cyrillic text folded to ASCII letters: č -> c, đ -> dj, Ж -> Z, é -> e.

    Characters with no ASCII reading are dropped.
    """
    latin = to_latin(text).translate(_ASCII_LETTERS)
    decomposed = unicodedata.normalize("NFKD", latin)
    return "".join(ch for ch in decomposed if ch.isascii())


def _normal_form(raw: str) -> str:
    text = unicodedata.normalize("NFKC", strip_invisible(raw)).translate(_APOSTROPHES)
    return _SPACED_HYPHEN.sub("-", " ".join(text.split()))


def _capitalise(part: str) -> str:
    if part[0].islower() or part.isupper():
        return part[0].upper() + part[1:].lower()
    return part


def parse_name(raw: str) -> str | Invalid:
    """A first name or surname as typed, cleaned and capitalised, or why it is refused."""
    name = _normal_form(raw)
    if len(name) < MIN_LEN:
        return Invalid("too_short", (("min", str(MIN_LEN)),))
    if len(name) > MAX_LEN:
        return Invalid("too_long", (("max", str(MAX_LEN)), ("typed", str(len(name)))))
    scripts: set[Script] = set()
    previous_is_separator = True  # a name may not start with a separator
    for ch in name:
        if ch in _SEPARATORS:
            if previous_is_separator:
                return Invalid("characters")
            previous_is_separator = True
            continue
        script = script_of(ch)
        if script is None:
            return Invalid("characters")
        scripts.add(script)
        previous_is_separator = False
    if previous_is_separator:
        return Invalid("characters")
    if len(scripts) > 1:
        return Invalid("mixed_script")
    pieces = _PARTS.split(name)
    return "".join(p if p in _SEPARATORS or not p else _capitalise(p) for p in pieces)


def name_key(name: str, *, ignore_diacritics: bool = False) -> str:
    """What two spellings of one name have in common: script, case and spacing aside."""
    latin = to_latin(_normal_form(name))
    if ignore_diacritics:
        latin = to_ascii(latin)
    return latin.casefold()


def same_name(a: str, b: str, *, ignore_diacritics: bool = False) -> bool:
    """Whether two spellings name the same person: "Ђорђе" and "ĐORĐE" do.

    Diacritics count ("Marković" is not "Markovic") unless ignore_diacritics is set, for
    comparing with text typed on a keyboard without them ("Djordje" then matches "Ђорђе").
    """
    return name_key(a, ignore_diacritics=ignore_diacritics) == name_key(
        b, ignore_diacritics=ignore_diacritics
    )
