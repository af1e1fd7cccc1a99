"""An Outbound as the web chat shows it: text in the person's language, buttons, a QR."""

from __future__ import annotations

import asyncio
import base64
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.constants

from flows.engine.i18n import render, text
from flows.engine.messages import Outbound

# the labels of the ticket and reference badges, for a citizen and for an officer
_BADGES = {
    False: ("kiosk.result.ticket", "kiosk.result.reference"),
    True: ("officer.badge.ticket", "officer.badge.reference"),
}


def render_outbound(out: Outbound) -> dict[str, Any]:
    lang = out.language
    ticket_label, reference_label = _BADGES[out.for_officer]
    viber = out.extras.get("link.viber")
    return {
        "text": [render(m, lang) for m in out.text],
        "choices": [{"id": c.id, "label": render(c.label, lang)} for c in out.choices],
        "expect": out.expect.value,
        "qr": qr_data_url(out.qr) if out.qr else None,
        "link": out.qr if out.qr and out.qr.startswith("https://") else None,
        "link_label": text(_link_words(out), lang),
        # "continue in Viber": its own code when Telegram's is the first, and a link
        "viber_qr": qr_data_url(viber) if viber and viber != out.qr else None,
        "viber_link": viber,
        "reference": out.reference,
        "ticket": out.ticket,
        "reference_label": text(reference_label, lang) if out.reference else None,
        "ticket_label": text(ticket_label, lang) if out.ticket else None,
        "end": out.end,
        "screen": out.screen,
        "language": lang,
    }


def _link_words(out: Outbound) -> str:
    """What the link under the QR code says: "Open in Telegram" only when it is the chat's
    link; another (the app store's, in the ConsentID guide) is just a link."""
    return (
        "webchat.open_telegram"
        if out.qr == out.extras.get("link.telegram")
        else "webchat.open_link"
    )


async def render_off_loop(out: Outbound) -> dict[str, Any]:
    """render_outbound for a request or a delivery: one with a QR code is rendered in a
    thread, since drawing the code takes milliseconds of CPU that every other request of
    the server would wait for on the event loop."""
    if out.qr or out.extras.get("link.viber"):
        return await asyncio.to_thread(render_outbound, out)
    return render_outbound(out)


@lru_cache(maxsize=256)
def qr_data_url(payload: str) -> str:
    """A black-on-white SVG QR code as a data: URL (the CSP allows img-src data:)."""
    # A fixed mask pattern: searching the best of eight costs 8x the time for no gain here.
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=1, mask_pattern=2
    )
    code.add_data(payload)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("ascii")).decode("ascii")
