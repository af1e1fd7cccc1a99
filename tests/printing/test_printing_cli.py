"""`ecitizen print preview`, the operator's test print, and the previews in docs/slips."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from ecitizen.config import Config, parse_config, printer_configs
from ecitizen.print_cli import (
    UnknownHall,
    add_print_parser,
    deployment_sample,
    preview,
    print_sample,
    run_print_command,
)
from printing.make_docs import write_previews
from printing.printers import parse_printer
from printing.samples import sample_document
from printing.status import Condition
from tests.fakes.tcp_printer import FakeNetworkPrinter, read

DOCS = Path(__file__).resolve().parents[2] / "docs" / "slips"


@pytest.mark.parametrize("width_mm", [58, 80])
def test_preview_writes_a_png_as_wide_as_the_paper(tmp_path: Path, width_mm: int) -> None:
    out = tmp_path / "slip.png"
    preview("credentials", "sr-Latn", out, width_mm)
    image = Image.open(out)
    assert image.width == {58: 384, 80: 576}[width_mm]
    payloads = [b.text for b in zxingcpp.read_barcodes(image)]
    assert payloads == sample_document("credentials", "sr-Latn").qr_payloads()


def test_the_print_command_parses_and_writes_the_preview(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_print_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "t.png"
    args = parser.parse_args(["print", "preview", "ticket", "--lang", "en", "--out", str(out)])
    assert run_print_command(args, {}) == 0 and out.exists()
    unknown = parser.parse_args(["print", "test", "nowhere"])
    assert run_print_command(unknown, {}) == 2


async def test_a_test_print_reaches_the_printer_and_reports_its_condition(
    printer: FakeNetworkPrinter,
) -> None:
    config = parse_printer("kiosk", {"kind": "network", "host": "127.0.0.1", "port": printer.port})
    assert await print_sample(config, "receipt", "en") is Condition.ONLINE
    [slip] = read(printer.jobs()[0], "default")
    assert slip.cuts == 1 and "K7M4-PX9N" in slip.text
    printer.mode = "paper_out"
    assert await print_sample(config) is Condition.PAPER_OUT


def test_the_docs_previews_are_the_three_slips_in_three_languages(tmp_path: Path) -> None:
    written = write_previews(tmp_path)
    names = sorted(p.name for p in written)
    assert len(names) == 9 and names == sorted(p.name for p in DOCS.glob("*.png"))
    for path in written:
        kind, language = path.stem.split("-", 1)
        found = [b.text for b in zxingcpp.read_barcodes(Image.open(path))]
        assert sorted(found) == sorted(sample_document(kind, language).qr_payloads())


def deployment(port: int) -> Config:
    """Two halls; Niš's printer is a network printer of its own."""
    return parse_config(
        {
            "halls": [
                {
                    "code": "kg",
                    "name": "Крагујевац",
                    "name_en": "Kragujevac",
                    "address": "Трг слободе 3, Крагујевац",
                },
                {
                    "code": "ni",
                    "name": "Ниш",
                    "name_en": "Niš",
                    "address": "Николе Пашића 24, Ниш",
                    "printer": "nis",
                },
            ],
            "printers": {
                "file": {"kind": "file"},
                "nis": {"kind": "network", "host": "127.0.0.1", "port": port},
            },
        }
    )


async def test_a_test_print_carries_the_address_of_the_hall_the_printer_serves(
    printer: FakeNetworkPrinter,
) -> None:
    config = deployment(printer.port)
    sample = deployment_sample(config, printer="nis")
    assert await print_sample(printer_configs(config)["nis"], "receipt", "en", sample) is (
        Condition.ONLINE
    )
    [slip] = read(printer.jobs()[0], "default")
    assert "Nikole Pašića 24, Niš" in slip.text and "Kragujevac" not in slip.text


def test_a_preview_is_of_the_hall_asked_for_and_an_unknown_hall_is_named(
    printer: FakeNetworkPrinter,
) -> None:
    config = deployment(printer.port)
    lines = deployment_sample(config, hall="ni").document("receipt", "sr-Cyrl").lines()
    assert any("Николе Пашића 24, Ниш" in line for line in lines)
    lines = deployment_sample(config).document("receipt", "sr-Cyrl").lines()
    assert any("Трг слободе 3, Крагујевац" in line for line in lines)  # the first hall
    with pytest.raises(UnknownHall, match="unknown hall 'zz'; known: kg, ni"):
        deployment_sample(config, hall="zz")
