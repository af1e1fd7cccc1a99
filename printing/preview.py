"""A slip as a PNG, drawn from the same rows the printer gets, at the printer's width.

Text the printer prints with its own font is drawn in fixed cells of 12 x 24 dots (times
the size), as the printer's font A would; drawn rows and QR codes are the very images sent.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from PIL import Image, ImageDraw

from printing import raster
from printing.capabilities import Capabilities
from printing.document import Align, Document, Size
from printing.layout import (
    CELL_HEIGHT,
    CELL_WIDTH,
    CutRow,
    FeedRow,
    Geometry,
    ImageRow,
    NativeQrRow,
    Row,
    TextRow,
    layout,
)

LINE_GAP = 6  # the printer's line spacing beyond the character cell
TEAR_FEED = 6 * 30


@cache
def _glyph(ch: str, bold: bool, size: Size) -> Image.Image:
    """One character squeezed into its cell, as the printer's fixed-width font shows it."""
    f = raster.font(size)
    w, h = CELL_WIDTH * size.factor, CELL_HEIGHT * size.factor
    stroke = 1 if bold else 0
    advance = max(1, round(f.getlength(ch)) + 2 * stroke)
    cell = Image.new("L", (advance, h), 255)
    baseline = round(h * 0.8)
    ImageDraw.Draw(cell).text(
        (stroke, baseline), ch, font=f, fill=0, anchor="ls", stroke_width=stroke
    )
    if advance > w:
        cell = cell.resize((w, h), Image.Resampling.LANCZOS)
    out = Image.new("L", (w, h), 255)
    out.paste(cell, ((w - cell.width) // 2, 0))
    return out


def _text(row: TextRow, width: int) -> Image.Image:
    w, h = CELL_WIDTH * row.size.factor, CELL_HEIGHT * row.size.factor
    chars = [(ch, s.bold) for s in row.spans for ch in s.text]
    used = len(chars) * w
    x = {Align.LEFT: 0, Align.CENTER: (width - used) // 2, Align.RIGHT: width - used}[row.align]
    image = Image.new("L", (width, h + LINE_GAP), 255)
    for ch, bold in chars:
        if ch != " ":
            image.paste(_glyph(ch, bold, row.size), (max(0, x), LINE_GAP // 2))
        x += w
    return image


def _cut(row: CutRow, width: int) -> Image.Image:
    image = Image.new("L", (width, TEAR_FEED + 12), 255)
    if row.cut:
        draw = ImageDraw.Draw(image)
        for x in range(0, width, 12):
            draw.line((x, TEAR_FEED + 6, x + 6, TEAR_FEED + 6), fill=128, width=2)
    return image


def _row_image(row: Row, width: int) -> Image.Image:
    if isinstance(row, TextRow):
        return _text(row, width)
    if isinstance(row, ImageRow):
        return row.image.convert("L")
    if isinstance(row, NativeQrRow):
        symbol = raster.qr_symbol(raster.qr_matrix(row.payload), row.module, width)
        return symbol.convert("L")
    if isinstance(row, FeedRow):
        return Image.new("L", (width, row.dots), 255)
    return _cut(row, width)


def preview_rows(rows: Sequence[Row], geo: Geometry) -> Image.Image:
    parts = [_row_image(row, geo.dots) for row in rows]
    image = Image.new("L", (geo.dots, sum(p.height for p in parts)), 255)
    y = 0
    for part in parts:
        image.paste(part, (0, y))
        y += part.height
    return image


def preview_image(document: Document, caps: Capabilities, geo: Geometry) -> Image.Image:
    return preview_rows(layout(document, caps, geo), geo)


def preview_png(document: Document, caps: Capabilities, geo: Geometry) -> bytes:
    return rows_png(layout(document, caps, geo), geo)


def rows_png(rows: Sequence[Row], geo: Geometry) -> bytes:
    """The rows as a black-and-white PNG, as the paper shows them (a thermal printer
    has no grey): a receipt in 2 ms and 8 KB, against 6 ms and 34 KB in greys, or
    32 ms with optimize=True (for 6% less)."""
    buffer = io.BytesIO()
    preview_rows(rows, geo).convert("1", dither=Image.Dither.NONE).save(buffer, format="PNG")
    return buffer.getvalue()
