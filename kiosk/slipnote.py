"""What the kiosk says about the slip a screen has just sent to the hall's printer.

A screen that ends a flow with a reference or a ticket has queued a slip (a registration
receipt, a queue ticket). When the printer is known to be unable to print (off,
unreachable, out of paper, cover open), the job waits in the store and prints when the
printer is back; the citizen is told so, and that everything the slip says is on the
screen in front of them. Otherwise the screen says the slip is printing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flows.engine.i18n import text

log = logging.getLogger(__name__)

# The hall's printer name -> whether it can print, as last known (None: not known yet). The
# shell answers it from the print worker; the kiosk knows nothing more of printing.
PrinterReady = Callable[[str], bool | None]

# What the flows themselves say about the slip, which the kiosk's note replaces.
SLIP_PROMISES = frozenset({"ticket.print"})
PRINTING = "kiosk.slip.printing"
DELAYED = "kiosk.slip.delayed"
# What the screen shows of the slip, in the order the screen shows it.
ITEMS = (("ticket", "kiosk.slip.item.ticket"), ("reference", "kiosk.slip.item.reference"))
QR_ITEM = "kiosk.slip.item.qr"
LAST_TWO = "kiosk.slip.items.last_two"


def queued_a_slip(screen: Mapping[str, Any]) -> bool:
    """The end of a registration, a check-in or a ticket at the kiosk: a slip was queued."""
    return bool(screen.get("end") and (screen.get("reference") or screen.get("ticket")))


def on_screen(screen: Mapping[str, Any], language: str) -> str:
    """The parts of the slip the screen shows, as a list in words ("the queue number, ...")."""
    parts = [text(key, language) for field, key in ITEMS if screen.get(field)]
    if screen.get("qr"):
        parts.append(text(QR_ITEM, language))
    if len(parts) < 2:
        return "".join(parts)
    last = text(LAST_TWO, language, first=parts[-2], last=parts[-1])
    return ", ".join([*parts[:-2], last])


def slip_note(
    screen: Mapping[str, Any], ready: PrinterReady, printer: str, language: str
) -> dict[str, Any] | None:
    """{"ready": bool, "text": str} for a screen that queued a slip on `printer`; None for
    any other screen, or when the printer's condition cannot be had."""
    if not queued_a_slip(screen):
        return None
    try:
        can_print = ready(printer)
    except Exception as exc:  # a status lookup must never cost the citizen their screen
        log.error("printer condition lookup failed for %s: %s", printer, type(exc).__name__)
        return None
    # Not known yet: the worker tries to print.
    if can_print is None or can_print:
        return {"ready": True, "text": text(PRINTING, language)}
    return {"ready": False, "text": text(DELAYED, language, items=on_screen(screen, language))}
