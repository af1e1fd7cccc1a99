"""What each slip tells the citizen, in each language, and what it never shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from flows.conversations.slips import CredentialsSlip, ReceiptSlip, TicketSlip, activation_uri
from flows.engine.i18n import keys
from printing.document import Document, Size
from printing.slip_layout import (
    credentials_document,
    receipt_document,
    slip_from_payload,
    ticket_document,
)
from tests.printing.printing_support import HALL

NOW = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # 08:05 in Kragujevac
VISIT = datetime(2026, 12, 2, 9, 20, tzinfo=UTC)  # 10:20 in Kragujevac
LINK = "https://t.me/eGradjaninBot?start=r_K7M4PX9"


def text_of(document: Document) -> str:
    return "\n".join(document.lines())


def test_every_slip_text_exists_in_all_three_languages() -> None:
    slip_keys = {k for k in keys("sr-Cyrl") if k.startswith("slip.")}
    assert len(slip_keys) > 30
    assert slip_keys <= keys("en") and slip_keys <= keys("sr-Latn")


@pytest.mark.parametrize(
    ("language", "hall", "ahead", "date"),
    [
        (
            "sr-Cyrl",
            "Градска управа Крагујевац",
            "Испред вас у реду: 3",
            "30. новембар 2026. у 08:05",
        ),
        (
            "sr-Latn",
            "Gradska uprava Kragujevac",
            "Ispred vas u redu: 3",
            "30. novembar 2026. u 08:05",
        ),
        (
            "en",
            "Kragujevac City Administration",
            "People ahead of you: 3",
            "November 30, 2026 at 08:05",
        ),
    ],
)
def test_a_queue_ticket_shows_the_number_large_the_queue_and_the_chat_link(
    language: str, hall: str, ahead: str, date: str
) -> None:
    document = ticket_document(
        TicketSlip(
            language=language,
            hall=HALL,
            ticket="A004",
            service_key="slip.ticket.title",
            issued_at=NOW,
            ahead=3,
            deep_link="https://t.me/eGradjaninBot?start=t_kg_A004",
        )
    )
    text = text_of(document)
    assert hall in text and ahead in text and date in text
    [number] = [b for b in document.blocks if getattr(b, "text", None) == "A004"]
    assert number.size is Size.LARGE  # type: ignore[union-attr]
    assert document.qr_payloads() == ["https://t.me/eGradjaninBot?start=t_kg_A004"]


def test_a_receipt_has_the_reference_for_the_scanner_the_visit_and_what_to_bring() -> None:
    document = receipt_document(
        ReceiptSlip(
            language="sr-Cyrl",
            hall=HALL,
            ref="K7M4-PX9N",
            visit_at=VISIT,
            issued_at=NOW,
            deep_link=LINK,
        )
    )
    text = text_of(document)
    assert document.qr_payloads() == ["K7M4-PX9N", LINK]
    assert "2. децембар 2026. у 10:20" in text
    assert "важећу личну карту" in text and "Трг српских ратника 25, Крагујевац" in text


def test_a_receipt_without_an_appointment_says_to_come_in_opening_hours() -> None:
    document = receipt_document(
        ReceiptSlip(
            language="en", hall=HALL, ref="K7M4-PX9N", visit_at=None, issued_at=NOW, deep_link=None
        )
    )
    assert "during opening hours" in text_of(document)
    assert document.qr_payloads() == ["K7M4-PX9N"]  # no chat link to offer


def test_the_credentials_slip_explains_activation_and_login_step_by_step() -> None:
    document = credentials_document(
        CredentialsSlip(
            language="sr-Latn",
            hall=HALL,
            username="jelena.petrovic",
            activation_code="Q4T7-XW2M",
            issued_at=NOW,
            valid_days=7,
        )
    )
    text = text_of(document)
    assert "jelena.petrovic" in text and "Q4T7-XW2M" in text
    assert document.qr_payloads() == [activation_uri("jelena.petrovic", "Q4T7-XW2M")]
    assert activation_uri("a b", "C&D") == "consentid://activate?u=a%20b&c=C%26D"
    # the official order: the PIN is set before the app is activated with the QR code
    steps = ("1. Instalirajte", "2. Otvorite", "3. Postavite PIN", "4. Aktivirajte", "5. Proverite")
    for step in steps:
        assert step in text
    assert [text.index(step) for step in steps] == sorted(text.index(step) for step in steps)
    assert "QR kod skenirate u aplikaciji ConsentID (korak 4)" in text
    assert "Kod važi do: 7. decembar 2026. u 08:05" in text
    assert "Upišite svoje korisničko ime." in text and "Potvrdite prijavu na telefonu" in text
    assert "Izdato 30. novembar 2026. u 08:05" in text


def test_payloads_survive_json_and_make_the_same_slip() -> None:
    payloads = {
        "ticket": TicketSlip(
            language="en",
            hall=HALL,
            ticket="A001",
            service_key="service.registration",
            issued_at=NOW,
            ahead=0,
            deep_link=None,
        ).payload(),
        "receipt": ReceiptSlip(
            language="sr-Latn",
            hall=HALL,
            ref="K7M4-PX9N",
            visit_at=VISIT,
            issued_at=NOW,
            deep_link=LINK,
        ).payload(),
    }
    direct = {
        "ticket": ticket_document(
            TicketSlip(
                language="en",
                hall=HALL,
                ticket="A001",
                service_key="service.registration",
                issued_at=NOW,
                ahead=0,
                deep_link=None,
            )
        ),
        "receipt": receipt_document(
            ReceiptSlip(
                language="sr-Latn",
                hall=HALL,
                ref="K7M4-PX9N",
                visit_at=VISIT,
                issued_at=NOW,
                deep_link=LINK,
            )
        ),
    }
    for kind, payload in payloads.items():
        stored = json.loads(json.dumps(payload))
        assert slip_from_payload(kind, stored, now=NOW) == direct[kind]


def test_a_credentials_job_carries_no_code_and_its_slip_needs_a_fresh_one() -> None:
    payload = CredentialsSlip(language="en", hall=HALL, username="jelena.petrovic").payload()
    assert set(payload) == {"language", "hall", "username", "help_link", "valid_days"}
    with pytest.raises(ValueError, match="activation code"):
        slip_from_payload("credentials", payload, now=NOW)
    document = slip_from_payload("credentials", payload, now=NOW, activation_code="Q4T7-XW2M")
    assert "Q4T7-XW2M" in text_of(document)


@pytest.mark.parametrize("leak", ["jmbg", "id_number", "code", "activation_code"])
def test_a_payload_carrying_what_no_slip_may_show_is_refused(leak: str) -> None:
    payload = TicketSlip(
        language="en",
        hall=HALL,
        ticket="A001",
        service_key="x",
        issued_at=NOW,
        ahead=0,
        deep_link=None,
    ).payload()
    with pytest.raises(ValueError, match=leak):
        slip_from_payload("ticket", payload | {leak: "0512981717776"}, now=NOW)


def test_the_kiosk_screen_gets_the_same_blocks_as_data() -> None:
    document = receipt_document(
        ReceiptSlip(
            language="en", hall=HALL, ref="K7M4-PX9N", visit_at=None, issued_at=NOW, deep_link=LINK
        )
    )
    shown = document.as_json()
    assert shown["kind"] == "receipt"
    assert [b["payload"] for b in shown["blocks"] if b["type"] == "qrcode"] == ["K7M4-PX9N", LINK]
    json.dumps(shown)


@pytest.mark.parametrize(
    ("language", "nobody"),
    [
        ("sr-Cyrl", "Нико није испред вас."),
        ("sr-Latn", "Niko nije ispred vas."),
        ("en", "Nobody is ahead of you."),
    ],
)
def test_a_ticket_with_nobody_ahead_says_so_in_words(language: str, nobody: str) -> None:
    slip = TicketSlip(
        language=language,
        hall=HALL,
        ticket="A001",
        service_key="slip.ticket.title",
        issued_at=NOW,
        ahead=0,
        deep_link=None,
    )
    printed = text_of(ticket_document(slip))
    assert nobody in printed and ": 0" not in printed
