"""Sample slips with made-up data: for previews, the operator's test print and the docs."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.slips import (
    SLIP_KINDS,
    Document,
    HallInfo,
    credentials_slip,
    receipt_slip,
    ticket_slip,
)

SAMPLE_HALL = HallInfo(
    name="Градска управа Крагујевац",
    name_en="Kragujevac City Administration",
    address="Трг српских ратника 25, Крагујевац",
)
SAMPLE_TIME = datetime(2025, 3, 12, 8, 40, tzinfo=UTC)
SAMPLE_VISIT = datetime(2025, 3, 14, 9, 20, tzinfo=UTC)
SAMPLE_LINK = "https://t.me/eGradjaninBot?start=r_K7M4PX9"


def sample_document(kind: str, language: str, now: datetime = SAMPLE_TIME) -> Document:
    """A slip of the kind, filled with sample data (no real person's)."""
    if kind == "ticket":
        return ticket_slip(
            language=language,
            hall=SAMPLE_HALL,
            ticket="A017",
            service_key="service.registration",
            issued_at=now,
            ahead=4,
            deep_link="https://t.me/eGradjaninBot?start=t_kg_A017",
        )
    if kind == "receipt":
        return receipt_slip(
            language=language,
            hall=SAMPLE_HALL,
            ref="K7M4-PX9N",
            visit_at=SAMPLE_VISIT,
            issued_at=now,
            deep_link=SAMPLE_LINK,
        )
    if kind == "credentials":
        return credentials_slip(
            language=language,
            hall=SAMPLE_HALL,
            username="jelena.petrovic",
            activation_code="SAMPLE-2Q7W",
            issued_at=now,
            help_link="https://t.me/eGradjaninBot",
        )
    raise ValueError(f"unknown slip {kind!r}; one of {', '.join(SLIP_KINDS)}")
