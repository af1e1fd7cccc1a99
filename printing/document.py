"""A slip as a printer-independent document: lines of text (spans with emphasis, a size,
an alignment), QR codes, separators, feeds and the cut.

printing/slip_layout.py makes one from what a slip says (flows/conversations/slips.py);
printing/layout.py fits it to a printer, which draws it as ESC/POS bytes or a PNG preview.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Size(StrEnum):
    NORMAL = "normal"
    DOUBLE = "double"  # twice as wide and as tall
    LARGE = "large"  # three times: the number a citizen looks for

    @property
    def factor(self) -> int:
        return {"normal": 1, "double": 2, "large": 3}[self.value]


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph; the printer wraps it at word boundaries to the paper's width.

    `indent` columns are added before every wrapped continuation (for numbered steps)."""

    spans: tuple[Span, ...]
    size: Size = Size.NORMAL
    align: Align = Align.LEFT
    indent: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True, slots=True)
class QrCode:
    payload: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A separator across the paper."""


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """The end of the slip: the printer cuts (or feeds to the tear bar)."""


Block = Line | QrCode | Rule | Feed | Cut


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # one of flows.conversations.slips.SLIP_KINDS
    language: str
    blocks: tuple[Block, ...]

    def lines(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Line)]

    def qr_payloads(self) -> list[str]:
        return [b.payload for b in self.blocks if isinstance(b, QrCode)]

    def as_json(self) -> dict[str, Any]:
        """The same information as data, for a screen to show when the slip has to wait.
        Blocks are {"type": "line" | "qrcode" | "rule" | "feed" | "cut", ...fields}."""
        blocks = [{"type": type(b).__name__.lower(), **asdict(b)} for b in self.blocks]
        return {"kind": self.kind, "language": self.language, "blocks": blocks}


def line(
    value: str,
    *,
    bold: bool = False,
    size: Size = Size.NORMAL,
    align: Align = Align.LEFT,
    indent: int = 0,
) -> Line:
    return Line((Span(value, bold),), size, align, indent)


def labelled(label: str, value: str, *, indent: int = 0) -> Line:
    """ "Label: value" with the value in bold."""
    return Line((Span(f"{label} "), Span(value, bold=True)), indent=indent)
