"""Sample slips with made-up data: for previews, the operator's test print and the docs.

A sample is made the way a real slip is: the payload a flow puts in the print job (a
slip's `payload()`, flows/conversations/slips.py), turned into the document by
`slip_from_payload` as the printer worker does. So it shows what a real slip of its kind
shows, and no more: the ticket is a walk-in's (no registration, so nothing to follow in
the chat, no QR code), the receipt's chat link is signed as the engine signs it
(flows.domain.deep_links.deep_link), and the credentials slip carries what an approval
puts on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from flows.conversations.slips import (
    SLIP_KINDS,
    CredentialsSlip,
    HallInfo,
    ReceiptSlip,
    TicketSlip,
)
from flows.domain.deep_links import LinkSigner, deep_link
from flows.domain.refcode import EXAMPLE
from printing.document import Document
from printing.slip_layout import slip_from_payload

SAMPLE_HALL = HallInfo(
    name="Градска управа Крагујевац",
    name_en="Kragujevac City Administration",
    address="Трг српских ратника 25, Крагујевац",
)
SAMPLE_TIME = datetime(2025, 3, 12, 8, 40, tzinfo=UTC)
SAMPLE_REF = EXAMPLE  # a valid reference (its check character adds up)
SAMPLE_CODE = "SAMPLE-2Q7W"  # plainly not a real activation code
# The docs' samples link to a made-up bot, signed with a secret no deployment has.
SAMPLE_BOT = "eGradjaninBot"
SAMPLE_SECRET = b"sample slips only; no deployment signs with this"
SAMPLE_LINK_DAYS = 30

DeepLink = Callable[[str], str | None]  # a registration's reference -> its chat link


def docs_deep_link(ref: str) -> str | None:
    return deep_link(
        LinkSigner(SAMPLE_SECRET), SAMPLE_BOT, ref, now=SAMPLE_TIME, days=SAMPLE_LINK_DAYS
    )


def deployment_deep_link(secret: bytes, bot_username: str, now: datetime, days: int) -> DeepLink:
    """Links as a deployment's own receipts carry them: its secret, its bot."""
    return partial(deep_link, LinkSigner(secret), bot_username, now=now, days=days)


def sample_document(
    kind: str,
    language: str,
    now: datetime = SAMPLE_TIME,
    deep_link: DeepLink = docs_deep_link,
    hall: HallInfo = SAMPLE_HALL,
) -> Document:
    """A slip of the kind, filled with sample data (no real person's), issued `now` in
    `hall` (the docs' sample hall, or a deployment's own)."""
    if kind == "ticket":
        payload = TicketSlip(
            language=language,
            hall=hall,
            ticket="A017",
            service_key="service.registration",
            issued_at=now,
            ahead=4,
            deep_link=None,  # a walk-in: no registration to follow
        ).payload()
    elif kind == "receipt":
        payload = ReceiptSlip(
            language=language,
            hall=hall,
            ref=SAMPLE_REF,
            visit_at=(now + timedelta(days=2)).replace(hour=8, minute=20, second=0),
            issued_at=now,
            deep_link=deep_link(SAMPLE_REF),
        ).payload()
    elif kind == "credentials":
        payload = CredentialsSlip(
            language=language, hall=hall, username="jelena.petrovic"
        ).payload()
    else:
        raise ValueError(f"unknown slip {kind!r}; one of {', '.join(SLIP_KINDS)}")
    return slip_from_payload(kind, payload, now=now, activation_code=SAMPLE_CODE)
