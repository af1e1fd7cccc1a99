"""What comes out on 58 mm and 80 mm paper: nothing wider than the paper, long names
wrapped and complete, every QR code readable with its quiet zone, one cut per slip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image, ImageOps

from flows.conversations.slips import CredentialsSlip, HallInfo, ReceiptSlip, TicketSlip
from printing.capabilities import capabilities
from printing.escpos_render import render_escpos
from printing.layout import Geometry
from printing.preview import preview_image
from printing.samples import sample_document
from printing.slip_layout import credentials_document, receipt_document, ticket_document
from tests.fakes.tcp_printer import Feed, NativeQr, read

LONG_HALL = HallInfo(
    name="Градска управа града Крагујевца, Одељење за опште и заједничке послове",
    name_en="City Administration of Kragujevac, Department of General and Joint Affairs",
    address="Трг српских ратника 25, 34000 Крагујевац",
)
LONG_USERNAME = "aleksandra.radovanovic-stojanovic.kragujevac.1987"
WHEN = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)

# (profile, code pages): text in code pages with native QR codes; text in code pages with
# QR codes drawn; everything outside ASCII drawn.
PRINTERS = [("TM-T20II", None), ("POS-5890", None), ("simple", None)]


def long_slips(language: str) -> list:
    return [
        ticket_document(
            TicketSlip(
                language=language,
                hall=LONG_HALL,
                ticket="B123",
                service_key="service.registration",
                issued_at=WHEN,
                ahead=12,
                deep_link="https://t.me/eGradjaninBot?start=t_kg_B123",
            )
        ),
        receipt_document(
            ReceiptSlip(
                language=language,
                hall=LONG_HALL,
                ref="K7M4-PX9N",
                visit_at=WHEN,
                issued_at=WHEN,
                deep_link="https://t.me/eGradjaninBot?start=r_K7M4PX9",
            )
        ),
        credentials_document(
            CredentialsSlip(
                language=language,
                hall=LONG_HALL,
                username=LONG_USERNAME,
                activation_code="Q4T7-XW2M",
                issued_at=WHEN,
                help_link="https://t.me/eGradjaninBot",
            )
        ),
    ]


def letters(lines: list[str]) -> str:
    return "".join("".join(lines).split())


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize(("profile", "pages"), PRINTERS)
@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
def test_nothing_is_wider_than_the_paper_and_long_names_wrap_whole(
    paper_mm: int, profile: str, pages: list[str] | None, language: str
) -> None:
    caps, geo = capabilities(profile, code_pages=pages), Geometry.for_paper(paper_mm)
    for document in long_slips(language):
        [slip] = read(render_escpos(document, caps, geo), profile)
        assert max(slip.widths, default=0) <= geo.dots
        assert all(r.image.width <= geo.dots for r in slip.rasters)
        printed = [line for line in slip.lines if set(line) != {"-"}]  # rules left out
        if caps.encodings:  # all text: every letter of the document, in order
            assert letters(printed) == letters(document.lines())
        if document.kind == "credentials" and caps.encodings:
            assert LONG_USERNAME in "".join(slip.lines)  # split across rows, never cut


@pytest.mark.parametrize(("profile", "cuts"), [("TM-T20II", 1), ("default", 1), ("POS-5890", 0)])
def test_one_cut_per_slip_or_a_feed_to_the_tear_bar_without_a_cutter(
    profile: str, cuts: int
) -> None:
    caps, geo = capabilities(profile), Geometry.for_paper(58)
    data = b"".join(
        render_escpos(sample_document(k, "en"), caps, geo) for k in ("ticket", "receipt")
    )
    slips = read(data, profile)
    if cuts:
        assert [s.cuts for s in slips] == [1, 1]
    else:
        assert [s.cuts for s in slips] == [0] and data.count(b"\x1bd\x06") == 2


def quiet_zone_and_module(image: Image.Image) -> tuple[int, int]:
    """The narrowest white margin around the code, and the module size (the finder
    pattern in the top left corner is 7 modules wide)."""
    ink = ImageOps.invert(image.convert("L"))
    box = ink.getbbox()
    assert box is not None
    x = box[0]
    while ink.getpixel((x, box[1])) == 255:
        x += 1
    margin = min(box[0], box[1], image.width - box[2], image.height - box[3])
    return margin, (x - box[0]) // 7


def decoded_in_order(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image)
    return [b.text for b in sorted(found, key=lambda b: b.position.top_left.y)]


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("kind", ["ticket", "receipt", "credentials"])
def test_qr_codes_drawn_as_images_decode_and_keep_a_quiet_zone(paper_mm: int, kind: str) -> None:
    caps, geo = capabilities("POS-5890"), Geometry.for_paper(paper_mm)  # no native QR
    document = sample_document(kind, "sr-Cyrl")
    [slip] = read(render_escpos(document, caps, geo), "POS-5890")
    decoded = []
    for raster in slip.rasters:
        found = decoded_in_order(raster.image)
        if found:
            margin, module = quiet_zone_and_module(raster.image)
            assert module >= 2 and margin >= 4 * module
            decoded += found
    assert decoded == document.qr_payloads()


@pytest.mark.parametrize("kind", ["ticket", "receipt", "credentials"])
def test_native_qr_codes_carry_their_payload_with_a_quiet_zone_fed_around(kind: str) -> None:
    caps, geo = capabilities("TM-T20II"), Geometry.for_paper(80)
    document = sample_document(kind, "sr-Latn")
    [slip] = read(render_escpos(document, caps, geo), "TM-T20II")
    assert [q.payload for q in slip.qrs] == document.qr_payloads()
    for i, item in enumerate(slip.items):
        if isinstance(item, NativeQr):
            before, after = slip.items[i - 1], slip.items[i + 1]
            assert isinstance(before, Feed) and before.dots >= 4 * item.module
            assert isinstance(after, Feed) and after.dots >= 4 * item.module
            assert item.ec == 49  # error correction M


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("profile", ["TM-T20II", "simple"])
@pytest.mark.parametrize("kind", ["ticket", "receipt", "credentials"])
def test_the_preview_is_as_wide_as_the_paper_and_its_qr_codes_decode(
    paper_mm: int, profile: str, kind: str
) -> None:
    caps, geo = capabilities(profile), Geometry.for_paper(paper_mm)
    document = sample_document(kind, "sr-Cyrl")
    image = preview_image(document, caps, geo)
    assert image.width == geo.dots
    assert decoded_in_order(image) == document.qr_payloads()
