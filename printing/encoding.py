"""Text to printer bytes, one code page per run of letters.

ASCII prints the same under every code page, so only a letter outside ASCII decides the
page; the page switches (ESC t n) only where the script changes. A letter no configured
page holds is never sent as '?': the caller draws that line as an image instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import cyrtranslit

# Typographic signs some pages lack, replaced by what every page holds.
SUBSTITUTES: dict[str, str] = {
    "–": "-",
    "—": "-",
    "‒": "-",
    "„": '"',
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "…": "...",
    "•": "*",
    "·": "*",
    "№": "No.",
    "\u00a0": " ",
}


def clean(text: str) -> str:
    """Control characters (a tab in a name, an ESC smuggled into a field) become spaces:
    nothing a citizen typed can turn into a printer command."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _is_ascii(ch: str) -> bool:
    return " " <= ch <= "~"


def page_for(ch: str, encodings: Sequence[str]) -> str | None:
    for encoding in encodings:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        return encoding
    return None


def printable(text: str, encodings: Sequence[str]) -> str | None:
    """The text as the printer's code pages can print it (typographic signs replaced
    where needed), or None when a letter is left that no page holds."""
    out: list[str] = []
    for ch in clean(text):
        if _is_ascii(ch) or page_for(ch, encodings):
            out.append(ch)
            continue
        substitute = SUBSTITUTES.get(ch)
        if substitute is None or printable(substitute, encodings) is None:
            return None
        out.append(substitute)
    return "".join(out)


def runs(text: str, encodings: Sequence[str], current: str | None) -> list[tuple[str, str]]:
    """Split printable text into (encoding, text) runs; ASCII stays in the page in use."""
    result: list[tuple[str, str]] = []
    page = current
    chunk: list[str] = []
    for ch in text:
        fits = page is not None and page_for(ch, [page]) is not None
        if _is_ascii(ch) or fits:
            chunk.append(ch)
            continue
        new_page = page_for(ch, encodings)
        if new_page is None:
            raise ValueError("text is not printable with these code pages")
        if chunk:
            result.append((page or "", "".join(chunk)))
        page, chunk = new_page, [ch]
    if chunk:
        result.append((page or "", "".join(chunk)))
    return result


def last_resort(text: str) -> str:
    """For a printer that can draw no image: Cyrillic in Latin letters, accents dropped,
    anything else a space. Readable, and still never a '?'."""
    latin = cyrtranslit.to_latin(clean(text), "sr")
    out: list[str] = []
    for ch in latin:
        if _is_ascii(ch):
            out.append(ch)
            continue
        special = {"đ": "dj", "Đ": "Dj"}.get(ch) or SUBSTITUTES.get(ch)
        if special is None:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            special = base or " "
        out.append(special)
    return "".join(out)
