"""`[printers.<name>]` tables: what a valid one gives, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from printing.printers import (
    FileTarget,
    NetworkTarget,
    SerialTarget,
    UsbTarget,
    parse_printer,
    parse_printers,
)


def test_a_network_printer_with_defaults() -> None:
    config = parse_printer("kiosk", {"kind": "network", "host": "10.0.0.7"})
    assert config.target == NetworkTarget("10.0.0.7", 9100)
    assert config.profile == "default" and config.paper_mm == 80
    assert config.geometry.dots == 576 and config.geometry.columns == 48
    assert config.caps.encodings == ("CP1251", "CP855", "CP1250", "CP852")


def test_58_mm_paper_has_32_columns() -> None:
    config = parse_printer("k", {"kind": "network", "host": "h", "paper_mm": 58})
    assert (config.geometry.dots, config.geometry.columns) == (384, 32)


def test_each_kind_of_connection() -> None:
    usb = parse_printer("a", {"kind": "usb", "vendor_id": "0x04b8", "product_id": 3605})
    assert usb.target == UsbTarget(0x04B8, 0x0E15)
    serial = parse_printer("b", {"kind": "serial", "device": "/dev/ttyUSB0", "baudrate": 38400})
    assert serial.target == SerialTarget("/dev/ttyUSB0", 38400)
    assert parse_printer("c", {"kind": "file"}).target == FileTarget(Path("var/prints"))
    assert parse_printer("d", {"kind": "cups", "queue": "tm20"}).kind == "cups"


def test_code_pages_can_be_narrowed_and_wpc_names_are_understood() -> None:
    config = parse_printer(
        "k", {"kind": "network", "host": "h", "profile": "TM-T20II", "code_pages": ["WPC1251"]}
    )
    assert config.caps.code_pages == (("CP1251", 46),)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"kind": "laser"}, "kind"),
        ({"kind": "network"}, "host"),
        ({"kind": "network", "host": "h", "port": 70000}, "port"),
        ({"kind": "network", "host": "h", "colour": "red"}, "colour"),
        ({"kind": "network", "host": "h", "queue": "q"}, "queue"),
        ({"kind": "network", "host": "h", "paper_mm": 72}, "paper_mm"),
        ({"kind": "network", "host": "h", "profile": "TM-9999"}, "profile"),
        ({"kind": "network", "host": "h", "profile": "TM-U220"}, "profile"),
        (
            {"kind": "network", "host": "h", "profile": "TM-T88IV", "code_pages": ["CP855"]},
            "code_pages",
        ),
        ({"kind": "network", "host": "h", "code_pages": ["CP437"]}, "code_pages"),
        ({"kind": "network", "host": "h", "code_pages": "CP855"}, "code_pages"),
        ({"kind": "network", "host": "h", "cut": "yes"}, "cut"),
        ({"kind": "network", "host": "h", "status_timeout": 0}, "status_timeout"),
        ({"kind": "usb", "vendor_id": 1208}, "vendor_id"),
        ({"kind": "usb", "vendor_id": "epson", "product_id": 1}, "vendor_id"),
        ({"kind": "serial"}, "device"),
        ({"kind": "cups"}, "queue"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_key(table: dict, key: str) -> None:
    with pytest.raises(ValueError, match=rf"^printers\.p\.{key}:"):
        parse_printers({"p": table})
