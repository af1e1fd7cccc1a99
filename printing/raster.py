"""Drawing for the printer: text lines with the bundled DejaVu Sans, and QR codes.

The font ships in printing/fonts/ (with its licence), so a printer whose profile has
no code page for a script still prints every Serbian letter, and nothing has to be
installed by hand. Images are 1-bit, black on white, as wide as the printable area.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from printing.document import Align, Size, Span

FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks
MAX_MODULE = 6  # dots per module: big enough for any phone camera, small enough to fit
# A fixed mask pattern: choosing the "best" of eight costs 8 times the CPU (about 20 ms a
# code) for a code that every phone reads either way (as the kiosk's, kiosk/qr.py).
FIXED_MASK = 2

QrMatrix = tuple[tuple[bool, ...], ...]

# Pixel sizes per text size: close to the printer's own font A (12 x 24 dots).
_FONT_PX = {Size.NORMAL: 21, Size.DOUBLE: 42, Size.LARGE: 63}
_LINE_PX = {Size.NORMAL: 28, Size.DOUBLE: 54, Size.LARGE: 80}


_per_thread = threading.local()


def font(size: Size) -> ImageFont.FreeTypeFont:
    """The font at a size; one copy per thread, as a FreeType face is not to be shared
    by threads drawing at the same time (printers are served concurrently)."""
    fonts: dict[Size, ImageFont.FreeTypeFont] | None = getattr(_per_thread, "fonts", None)
    if fonts is None:
        fonts = _per_thread.fonts = {}
    if size not in fonts:
        fonts[size] = ImageFont.truetype(str(FONT_PATH), _FONT_PX[size])
    return fonts[size]


def _stroke(span: Span) -> int:
    return 1 if span.bold else 0


def text_width(spans: Sequence[Span], size: Size) -> float:
    f = font(size)
    return sum(f.getlength(s.text) + 2 * _stroke(s) for s in spans)


def text_image(spans: Sequence[Span], size: Size, align: Align, width: int) -> Image.Image:
    """One printed row of text, drawn; bold is drawn with a one-dot stroke."""
    f = font(size)
    used = text_width(spans, size)
    if align is Align.CENTER:
        x = max(0.0, (width - used) / 2)
    elif align is Align.RIGHT:
        x = max(0.0, width - used)
    else:
        x = 0.0
    image = Image.new("L", (width, _LINE_PX[size]), 255)
    draw = ImageDraw.Draw(image)
    baseline = round(_LINE_PX[size] * 0.78)
    for span in spans:
        stroke = _stroke(span)
        position = (x + stroke, baseline)
        draw.text(position, span.text, font=f, fill=0, anchor="ls", stroke_width=stroke)
        x += f.getlength(span.text) + 2 * stroke
    return image.point(lambda v: 255 if v >= 128 else 0).convert("1")


@lru_cache(maxsize=64)  # the layout asks for a code's size, the preview draws it again
def qr_matrix(payload: str) -> QrMatrix:
    """The QR code's modules (error correction M), without the quiet zone."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=FIXED_MASK
    )
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return tuple(tuple(row) for row in matrix)


def qr_module_size(modules: int, width: int) -> int:
    """Dots per module so that the code and its quiet zone fit the paper."""
    return max(1, min(MAX_MODULE, width // (modules + 2 * QUIET_ZONE)))


def qr_symbol(matrix: QrMatrix, module: int, width: int) -> Image.Image:
    """The modules centred on a row as wide as the paper, without vertical margin."""
    image = Image.new("1", (width, len(matrix) * module), 1)
    draw = ImageDraw.Draw(image)
    left = (width - len(matrix) * module) // 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = left + x * module, y * module
                draw.rectangle((x0, y0, x0 + module - 1, y0 + module - 1), fill=0)
    return image


def qr_image(payload: str, width: int) -> Image.Image:
    """The code centred on a row as wide as the paper, quiet zone included all round."""
    matrix = qr_matrix(payload)
    module = qr_module_size(len(matrix), width)
    symbol = qr_symbol(matrix, module, width)
    margin = QUIET_ZONE * module
    image = Image.new("1", (width, symbol.height + 2 * margin), 1)
    image.paste(symbol, (0, margin))
    return image
