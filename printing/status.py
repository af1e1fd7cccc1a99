"""The printer's own word on whether it can print: DLE EOT real-time status.

n=1 printer status (bit 3: offline), n=2 offline cause (bit 2: cover open, bit 5: stopped
at paper end, bit 6: error), n=4 roll paper sensor (bits 2-3: near end, bits 5-6: out).
Every answer byte has bits 1 and 4 set and bits 0 and 7 clear; anything else is not an
answer. A printer that says nothing is "unknown": never taken for one out of paper.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

DLE_EOT = b"\x10\x04"


class Condition(StrEnum):
    ONLINE = "online"
    PAPER_LOW = "paper_low"  # prints, but the roll is nearly used up
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # the printer reports an error or is offline for another reason
    UNKNOWN = "unknown"  # no answer: printers that cannot tell, or a status line not wired
    UNREACHABLE = "unreachable"  # no connection at all

    @property
    def can_print(self) -> bool:
        return self in (Condition.ONLINE, Condition.PAPER_LOW, Condition.UNKNOWN)

    @property
    def needs_attention(self) -> bool:
        return self not in (Condition.ONLINE, Condition.UNKNOWN)


def is_answer(value: int) -> bool:
    return value & 0b1001_0011 == 0b0001_0010


class Asks(Protocol):
    def query(self, n: int) -> int | None:
        """Send DLE EOT n and return the answer byte, or None if none came in time."""


def condition(printer: int | None, cause: int | None, paper: int | None) -> Condition:
    """Read the three answers (None: not answered, or not a status byte)."""
    if printer is None or not is_answer(printer):
        return Condition.UNKNOWN
    paper_out = paper is not None and is_answer(paper) and paper & 0x60 == 0x60
    paper_low = paper is not None and is_answer(paper) and paper & 0x0C == 0x0C
    if printer & 0x08:
        if cause is not None and is_answer(cause):
            if cause & 0x04:
                return Condition.COVER_OPEN
            if cause & 0x20:
                return Condition.PAPER_OUT
        return Condition.PAPER_OUT if paper_out else Condition.OFFLINE
    if paper_out:
        return Condition.PAPER_OUT
    return Condition.PAPER_LOW if paper_low else Condition.ONLINE


def query_condition(link: Asks) -> Condition:
    """Ask the printer; when it does not answer the first question, ask no more."""
    printer = link.query(1)
    if printer is None:
        return Condition.UNKNOWN
    cause = link.query(2) if printer & 0x08 else None
    paper = link.query(4)
    return condition(printer, cause, paper)
