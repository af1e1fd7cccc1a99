"""QR codes as PNG pictures, for the chat channels (a deep link, a reference to scan).

Drawing one takes a few milliseconds of CPU: callers run it in a thread, never on the
event loop. The same few payloads come back (a retry, a picture fetched twice), so the
last ones drawn are kept.
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode


@lru_cache(maxsize=256)
def qr_png(payload: str) -> bytes:
    """The payload as a QR code PNG, big enough to scan from a phone screen."""
    code = qrcode.QRCode(border=4, box_size=10)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)  # PNG: qrcode's default PIL image saves as PNG
    return buffer.getvalue()
