"""Receipt printing: slips (what they say: flows.conversations.slips; their layout:
printing.slip_layout) on ESC/POS printers, and PNG previews.

config = parse_printer("kiosk", {"kind": "network", "host": "10.0.0.7", "paper_mm": 58})
data = render_escpos(document, config.caps, config.geometry)   # the bytes
png = preview_png(document, config.caps, config.geometry)      # what it looks like
worker = PrintWorker(store, printers, accounts)                 # jobs from the store
"""

from printing.escpos_render import render_escpos
from printing.preview import preview_png
from printing.printers import (
    PrinterConfig,
    default_file_printer,
    parse_printer,
    parse_printers,
)
from printing.status import Condition
from printing.worker import PrintWorker, RunReport

__all__ = [
    "Condition",
    "PrintWorker",
    "PrinterConfig",
    "RunReport",
    "default_file_printer",
    "parse_printer",
    "parse_printers",
    "preview_png",
    "render_escpos",
]
