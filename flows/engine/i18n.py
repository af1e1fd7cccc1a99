"""Message catalogs: gettext .po files read with Babel, one folder per language.

Serbian Cyrillic (sr_Cyrl) is the master. Serbian Latin (sr_Latn) is generated from it by
`python -m flows.engine.i18n derive` (cyrtranslit, with URLs, e-mail addresses, placeholders and
codes shielded); a test fails when the generated files are out of date. English is
complete. Each concern keeps its own catalog file (flows.po, kiosk.po, slips.po, ...):
a message key is unique across all of them.
"""

from __future__ import annotations

import re
import string
import sys
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po, write_po
from cyrtranslit.mapping import TRANSLIT_DICT

from flows.engine.messages import DEFAULT_LANGUAGE, LANGUAGES, Msg

LOCALE_DIR = Path(__file__).parents[1] / "locale"
_FOLDERS = {"sr-Cyrl": "sr_Cyrl", "sr-Latn": "sr_Latn", "en": "en"}

# Shielded from transliteration: URLs, e-mail addresses, {placeholders}, <tags>, and codes
# (a run of capitals and digits with at least one digit, e.g. A001 or K7M4-PX9N).
_SHIELD = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\{[^{}]*\}|<[^<>]*>|\b(?=[A-Z0-9-]*\d)[A-Z0-9-]{2,}\b"
)


# cyrtranslit's own Serbian letters, applied by str.translate: the same result as its
# to_latin (a test compares them), without copying the table and adding up the string a
# letter at a time on every call. Fast enough to need no memo, which kept what it was given
# (names, JMBGs, typed answers and searches) in the process long after the conversation.
_LATIN = str.maketrans(TRANSLIT_DICT["sr"]["tolatin"])


def to_latin(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin, leaving shielded parts exactly as they are."""
    if text.isascii():
        return text
    out: list[str] = []
    last = 0
    for m in _SHIELD.finditer(text):
        out.append(text[last : m.start()].translate(_LATIN))
        out.append(m.group(0))
        last = m.end()
    out.append(text[last:].translate(_LATIN))
    return "".join(out)


def _read(path: Path) -> dict[str, str]:
    with path.open("rb") as f:
        catalog = read_po(f)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


@cache
def _table(language: str) -> dict[str, str]:
    folder = LOCALE_DIR / _FOLDERS[language]
    table: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        table.update(_read(path))
    return table


def keys(language: str) -> set[str]:
    return set(_table(language))


@cache
def placeholders(key: str) -> frozenset[str]:
    """The names a message's templates fill in, in any language: {first_name} and such."""
    names: set[str] = set()
    for language in LANGUAGES:
        template = _table(language).get(key)
        if template:
            try:
                names.update(field for _, field, _, _ in _FORMATTER.parse(template) if field)
            except ValueError:  # a malformed template renders as it is (see render)
                continue
    return frozenset(names)


_FORMATTER = string.Formatter()


def normalize_language(value: str | None) -> str:
    """A language tag or hint to one of ours; unknown ones fall back to Serbian Cyrillic."""
    if not value:
        return DEFAULT_LANGUAGE
    v = value.replace("_", "-").lower()
    for lang in LANGUAGES:
        if v == lang.lower():
            return lang
    if v in ("sr-latn", "sr-latn-rs", "latin", "lat"):
        return "sr-Latn"
    if v.startswith(("sr", "bs", "hr", "me", "cnr")):
        return "sr-Cyrl" if not v.endswith("latn") else "sr-Latn"
    return "en"


def text(key: str, language: str, **values: str) -> str:
    return render(Msg.of(key, **values), language)


def render(msg: Msg, language: str) -> str:
    """The message in the language, with its values filled in.

    A missing key renders as the key itself (and a test makes sure none is missing).
    Values written in Cyrillic (names, addresses) are shown in Latin letters to a citizen
    who reads Latin: Serbian Latin or English.
    """
    template = _table(language).get(msg.key)
    if template is None:
        template = _table(DEFAULT_LANGUAGE).get(msg.key, msg.key)
    values: dict[str, str] = {}
    for name, value in msg.values:
        if isinstance(value, Msg):
            values[name] = render(value, language)
        else:
            values[name] = to_latin(value) if language != "sr-Cyrl" else value
    if not values:
        return template
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return template


# Texts that say one thing in each language side by side ("Језик / Jezik / Language").
_SIDE_BY_SIDE = (" / ", " · ")


def latin_entry(master: str) -> str:
    """The sr_Latn catalog's text for a Cyrillic master text. A text in each script side
    by side, transliterated, would say its Latin part twice ("Jezik / Jezik / Language"):
    once is enough."""
    text = to_latin(master)
    for separator in _SIDE_BY_SIDE:
        parts = text.split(separator)
        if len(set(parts)) < len(parts):
            text = separator.join(dict.fromkeys(parts))
    return text


def derive_latin() -> list[Path]:
    """Write sr_Latn/*.po from sr_Cyrl/*.po; returns the files written."""
    written: list[Path] = []
    for src in sorted((LOCALE_DIR / "sr_Cyrl").glob("*.po")):
        with src.open("rb") as f:
            master = read_po(f)
        out = PoCatalog(locale="sr_Latn", project="ecitizen", fuzzy=False)
        for m in master:
            if m.id:
                out.add(m.id, latin_entry(str(m.string)), auto_comments=m.auto_comments)
        dest = LOCALE_DIR / "sr_Latn" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as f:
            write_po(f, out, omit_header=True, width=0)
        written.append(dest)
    _table.cache_clear()
    placeholders.cache_clear()
    return written


if __name__ == "__main__":
    if sys.argv[1:] == ["derive"]:
        for p in derive_latin():
            sys.stdout.write(f"{p}\n")
    else:
        sys.stderr.write("usage: python -m flows.engine.i18n derive\n")
        sys.exit(2)
