"""Laid-out rows to ESC/POS bytes, with python-escpos collecting them (printer.Dummy).

Text goes out in the code page each run needs (ESC t n before it, only when it changes);
drawn rows as raster images (GS v 0); QR codes natively (GS ( k) where the profile can;
one cut (GS V) per slip, or a feed to the tear bar on printers without a cutter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from escpos.capabilities import get_profile
from escpos.constants import PAPER_FULL_CUT, QR_ECLEVEL_M
from escpos.printer import Dummy

from printing.capabilities import Capabilities
from printing.document import Align, Document, Size
from printing.encoding import runs
from printing.layout import (
    CutRow,
    FeedRow,
    Geometry,
    ImageRow,
    NativeQrRow,
    Row,
    TextRow,
    layout,
)

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"
_ALIGN = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}
_TEAR_FEED_LINES = 6


def _printer(caps: Capabilities, geo: Geometry) -> Any:
    """A Dummy whose profile knows the paper's width (python-escpos checks images
    against it, and complains on stdout when the profile does not say)."""
    profile = get_profile(caps.profile)
    media = dict(profile.profile_data.get("media", {}))
    media["width"] = {"mm": geo.paper_mm, "pixels": geo.dots}
    profile.profile_data = {**profile.profile_data, "media": media}
    printer = Dummy(profile=caps.profile)
    printer.profile = profile
    return printer


class _State:
    """What the printer currently has selected, so commands go out only on a change."""

    def __init__(self) -> None:
        self.page: str | None = None  # None: the table the printer starts with
        self.align: Align | None = None
        self.size: Size | None = None
        self.bold: bool | None = None


def _text_row(p: Any, row: TextRow, caps: Capabilities, st: _State) -> None:
    out = bytearray()
    if st.align is not row.align:
        out += ESC + b"a" + bytes([_ALIGN[row.align]])
        st.align = row.align
    if st.size is not row.size:
        f = row.size.factor - 1
        out += GS + b"!" + bytes([(f << 4) | f])
        st.size = row.size
    for span in row.spans:
        if st.bold is not span.bold:
            out += ESC + b"E" + bytes([1 if span.bold else 0])
            st.bold = span.bold
        for encoding, chunk in runs(span.text, caps.encodings, st.page):
            if encoding and encoding != st.page:
                out += ESC + b"t" + bytes([caps.table(encoding)])
                st.page = encoding
            out += chunk.encode(encoding or "ascii")
    out += b"\n"
    p._raw(bytes(out))


def _feed(p: Any, dots: int) -> None:
    while dots > 0:
        step = min(dots, 255)
        p._raw(ESC + b"J" + bytes([step]))
        dots -= step


def _cut(p: Any, row: CutRow) -> None:
    if not row.cut:
        p.print_and_feed(_TEAR_FEED_LINES)
    elif p.profile.supports("paperFullCut") or p.profile.supports("paperPartCut"):
        p.cut()
    else:  # the configuration says there is a cutter although the profile does not
        p.print_and_feed(_TEAR_FEED_LINES)
        p._raw(PAPER_FULL_CUT)


def render_rows(rows: Sequence[Row], caps: Capabilities, geo: Geometry) -> bytes:
    p = _printer(caps, geo)
    st = _State()
    p._raw(INIT)
    for row in rows:
        if isinstance(row, TextRow):
            _text_row(p, row, caps, st)
        elif isinstance(row, ImageRow):
            if st.align is not Align.LEFT:
                p._raw(ESC + b"a\x00")
                st.align = Align.LEFT
            p.image(row.image, impl="bitImageRaster")
        elif isinstance(row, NativeQrRow):
            if st.align is not Align.CENTER:
                p._raw(ESC + b"a\x01")
                st.align = Align.CENTER
            p.qr(row.payload, ec=QR_ECLEVEL_M, size=row.module, native=True)
        elif isinstance(row, FeedRow):
            _feed(p, row.dots)
        else:
            _cut(p, row)
    data: bytes = p.output
    return data


def render_escpos(document: Document, caps: Capabilities, geo: Geometry) -> bytes:
    """The slip as the bytes a printer of this profile and paper width is sent."""
    return render_rows(layout(document, caps, geo), caps, geo)
