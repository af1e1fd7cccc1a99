"""A slip document laid out for one printer: rows that fit its paper.

The layout decides, line by line, what the printer can print as text with its code pages
and what has to be drawn, and wraps every line at word boundaries so nothing is wider than
the paper (a word longer than a whole row is split, never cut off). Both the ESC/POS
renderer and the PNG preview draw these same rows, so the preview shows what prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from printing import raster
from printing.capabilities import Capabilities
from printing.document import Align, Cut, Document, Feed, Line, QrCode, Rule, Size, Span
from printing.encoding import clean, last_resort, printable

CELL_WIDTH = 12  # dots per column of the printer's font A
CELL_HEIGHT = 24
LINE_DOTS = 30  # a blank line


@dataclass(frozen=True, slots=True)
class Geometry:
    """The printable area: 58 mm paper has 384 dots (32 columns), 80 mm has 576 (48)."""

    paper_mm: int
    dots: int

    @property
    def columns(self) -> int:
        return self.dots // CELL_WIDTH

    @staticmethod
    def for_paper(paper_mm: int, dots: int | None = None) -> Geometry:
        if dots is None:
            dots = {58: 384, 80: 576}.get(paper_mm)
            if dots is None:
                raise ValueError(f"paper_mm: {paper_mm} is neither 58 nor 80; set dots as well")
        return Geometry(paper_mm, dots)


@dataclass(frozen=True, slots=True)
class TextRow:
    """Printed with the printer's font; every character is one column (times the size)."""

    spans: tuple[Span, ...]
    size: Size
    align: Align

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True, slots=True)
class ImageRow:
    """A drawn row (text the code pages cannot hold, or a QR code), as wide as the paper."""

    image: Image.Image
    text: str = ""  # what the drawn text says (for the preview and for tests)
    qr: str | None = None  # the payload, when the image is a QR code


@dataclass(frozen=True, slots=True)
class NativeQrRow:
    """A QR code the printer draws itself (GS ( k); the quiet zone is fed around it."""

    payload: str
    module: int  # dots per module
    modules: int  # modules per side, without the quiet zone


@dataclass(frozen=True, slots=True)
class FeedRow:
    dots: int


@dataclass(frozen=True, slots=True)
class CutRow:
    cut: bool  # False: the printer has no cutter, so feed to the tear bar instead


Row = TextRow | ImageRow | NativeQrRow | FeedRow | CutRow

Char = tuple[str, bool]  # a character and whether it is bold


def wrap(
    chars: Sequence[Char], fits: Callable[[Sequence[Char]], bool], indent: int = 0
) -> list[list[Char]]:
    """Greedy word wrap; continuation rows start with `indent` spaces."""
    words: list[list[Char]] = []
    current: list[Char] = []
    for ch in chars:
        if ch[0] == " ":
            if current:
                words.append(current)
                current = []
        else:
            current.append(ch)
    if current:
        words.append(current)
    cont: list[Char] = [(" ", False)] * indent
    if not fits([*cont, ("M", False)]):
        cont = []
    rows: list[list[Char]] = []
    prefix: list[Char] = []
    body: list[Char] = []
    for word in words:
        candidate = [*body, (" ", False), *word] if body else list(word)
        if fits([*prefix, *candidate]):
            body = candidate
            continue
        if body:
            rows.append([*prefix, *body])
            prefix, body = cont, []
        rest = word
        while rest:  # a word longer than a row: split it, every letter still printed
            take = len(rest)
            while take > 1 and not fits([*prefix, *rest[:take]]):
                take -= 1
            body, rest = list(rest[:take]), rest[take:]
            if rest:
                rows.append([*prefix, *body])
                prefix, body = cont, []
    if body:
        rows.append([*prefix, *body])
    return rows or [[]]


def _spans(chars: Sequence[Char]) -> tuple[Span, ...]:
    spans: list[Span] = []
    for ch, bold in chars:
        if spans and spans[-1].bold == bold:
            spans[-1] = Span(spans[-1].text + ch, bold)
        else:
            spans.append(Span(ch, bold))
    return tuple(spans)


def _chars(spans: Sequence[Span]) -> list[Char]:
    return [(ch, s.bold) for s in spans for ch in s.text]


def _line_rows(line: Line, caps: Capabilities, geo: Geometry) -> list[Row]:
    texts = [printable(s.text, caps.encodings) for s in line.spans]
    if all(t is not None for t in texts) or not caps.raster:
        spans = [
            Span(t if t is not None else last_resort(s.text), s.bold)
            for s, t in zip(line.spans, texts, strict=True)
        ]
        limit = geo.columns // line.size.factor
        rows = wrap(_chars(spans), lambda cs: len(cs) <= limit, line.indent)
        return [TextRow(_spans(r), line.size, line.align) for r in rows]
    clean_spans = [Span(clean(s.text), s.bold) for s in line.spans]
    # The indent is in printer columns; DejaVu's space is narrower than a column.
    indent = round(line.indent * CELL_WIDTH / raster.font(Size.NORMAL).getlength(" "))
    rows = wrap(
        _chars(clean_spans),
        lambda cs: raster.text_width(_spans(cs), line.size) <= geo.dots,
        indent,
    )
    out: list[Row] = []
    for r in rows:
        row_spans = _spans(r)
        image = raster.text_image(row_spans, line.size, line.align, geo.dots)
        out.append(ImageRow(image, text="".join(s.text for s in row_spans)))
    return out


def _qr_rows(payload: str, caps: Capabilities, geo: Geometry) -> list[Row]:
    if caps.native_qr:
        modules = len(raster.qr_matrix(payload))
        module = raster.qr_module_size(modules, geo.dots)
        quiet = FeedRow(raster.QUIET_ZONE * module)
        return [quiet, NativeQrRow(payload, module, modules), quiet]
    return [ImageRow(raster.qr_image(payload, geo.dots), qr=payload)]


def layout(document: Document, caps: Capabilities, geo: Geometry) -> list[Row]:
    rows: list[Row] = []
    for block in document.blocks:
        if isinstance(block, Line):
            rows += _line_rows(block, caps, geo)
        elif isinstance(block, QrCode):
            rows += _qr_rows(block.payload, caps, geo)
        elif isinstance(block, Rule):
            rows.append(TextRow((Span("-" * geo.columns),), Size.NORMAL, Align.LEFT))
        elif isinstance(block, Feed):
            rows.append(FeedRow(LINE_DOTS * block.lines))
        elif isinstance(block, Cut):
            rows.append(CutRow(caps.cut))
    return rows
