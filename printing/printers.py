"""Printers as configured: `[printers.<name>]` tables, validated.

    [printers.kiosk]
    kind = "network"          # network | usb | serial | cups | file
    host = "192.168.1.50"     # network: host, port (9100)
    profile = "TM-T20II"      # a python-escpos profile name ("default")
    paper_mm = 80             # 58 or 80 (80); `dots` overrides the printable width

usb: vendor_id, product_id (numbers or "0x04b8" strings), or device ("/dev/usb/lp0");
serial: device, baudrate (9600); cups: queue; file: dir ("var/prints").
Optional everywhere: code_pages (["CP855", "CP852"]: which of the profile's Serbian code
pages to use, in order; [] draws all non-ASCII text as images), native_qr, cut,
connect_timeout (3 s), status_timeout (1 s).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from printing.capabilities import Capabilities, capabilities
from printing.layout import Geometry

KINDS = ("network", "usb", "serial", "cups", "file")
_COMMON = {
    "kind",
    "profile",
    "paper_mm",
    "dots",
    "code_pages",
    "native_qr",
    "cut",
    "connect_timeout",
    "status_timeout",
}
_BY_KIND = {
    "network": {"host", "port"},
    "usb": {"vendor_id", "product_id", "device"},
    "serial": {"device", "baudrate"},
    "cups": {"queue"},
    "file": {"dir"},
}


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    host: str
    port: int = 9100


@dataclass(frozen=True, slots=True)
class UsbTarget:
    vendor_id: int | None = None
    product_id: int | None = None
    device: str | None = None  # the usblp character device, when given directly


@dataclass(frozen=True, slots=True)
class SerialTarget:
    device: str
    baudrate: int = 9600


@dataclass(frozen=True, slots=True)
class CupsTarget:
    queue: str


@dataclass(frozen=True, slots=True)
class FileTarget:
    directory: Path = Path("var/prints")


Target = NetworkTarget | UsbTarget | SerialTarget | CupsTarget | FileTarget


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    name: str
    target: Target
    profile: str = "default"
    paper_mm: int = 80
    dots: int | None = None
    code_pages: tuple[str, ...] | None = None
    native_qr: bool | None = None
    cut: bool | None = None
    connect_timeout: float = 3.0
    status_timeout: float = 1.0
    caps: Capabilities = field(init=False, compare=False)

    def __post_init__(self) -> None:
        caps = capabilities(
            self.profile, code_pages=self.code_pages, native_qr=self.native_qr, cut=self.cut
        )
        object.__setattr__(self, "caps", caps)
        Geometry.for_paper(self.paper_mm, self.dots)

    @property
    def kind(self) -> str:
        return {
            NetworkTarget: "network",
            UsbTarget: "usb",
            SerialTarget: "serial",
            CupsTarget: "cups",
            FileTarget: "file",
        }[type(self.target)]

    @property
    def geometry(self) -> Geometry:
        return Geometry.for_paper(self.paper_mm, self.dots)

    @property
    def keeps_output(self) -> bool:
        """A file printer keeps what it prints (for a developer to look at): it never
        gets an activation code in clear, and its files are erased after a while."""
        return isinstance(self.target, FileTarget)


def _str(table: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}: a non-empty string is required")
    return value


def _int(table: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = table.get(key, default)
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not a number") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key}: a whole number is required")
    return value


def _float(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{key}: a positive number of seconds is required")
    return float(value)


def _opt_bool(table: Mapping[str, Any], key: str) -> bool | None:
    value = table.get(key)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{key}: true or false is required")
    return value


def _target(kind: str, t: Mapping[str, Any]) -> Target:
    if kind == "network":
        port = _int(t, "port", 9100)
        if not 0 < port < 65536:
            raise ValueError("port: must be between 1 and 65535")
        return NetworkTarget(_str(t, "host"), port)
    if kind == "usb":
        if "device" in t:
            return UsbTarget(device=_str(t, "device"))
        if "vendor_id" not in t or "product_id" not in t:
            raise ValueError("vendor_id: usb printers need vendor_id and product_id, or device")
        return UsbTarget(_int(t, "vendor_id"), _int(t, "product_id"))
    if kind == "serial":
        return SerialTarget(_str(t, "device"), _int(t, "baudrate", 9600))
    if kind == "cups":
        return CupsTarget(_str(t, "queue"))
    return FileTarget(Path(_str(t, "dir", "var/prints")))


def parse_printer(name: str, table: Mapping[str, Any]) -> PrinterConfig:
    """One `[printers.<name>]` table. Raises ValueError naming the key at fault."""
    kind = table.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind: printer {name!r} needs kind = one of {', '.join(KINDS)}")
    unknown = sorted(set(table) - _COMMON - _BY_KIND[str(kind)])
    if unknown:
        raise ValueError(f"{unknown[0]}: not a setting of a {kind} printer ({name!r})")
    pages = table.get("code_pages")
    if pages is not None and (
        not isinstance(pages, list | tuple) or not all(isinstance(p, str) for p in pages)
    ):
        raise ValueError("code_pages: a list of code page names is required")
    return PrinterConfig(
        name=name,
        target=_target(str(kind), table),
        profile=_str(table, "profile", "default"),
        paper_mm=_int(table, "paper_mm", 80),
        dots=_int(table, "dots") if "dots" in table else None,
        code_pages=tuple(pages) if pages is not None else None,
        native_qr=_opt_bool(table, "native_qr"),
        cut=_opt_bool(table, "cut"),
        connect_timeout=_float(table, "connect_timeout", 3.0),
        status_timeout=_float(table, "status_timeout", 1.0),
    )


def parse_printers(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, PrinterConfig]:
    """All `[printers.*]` tables; the error names the printer and the key."""
    printers: dict[str, PrinterConfig] = {}
    for name, table in tables.items():
        try:
            printers[name] = parse_printer(name, table)
        except ValueError as e:
            raise ValueError(f"printers.{name}.{e}") from None
    return printers


def default_file_printer(directory: Path = Path("var/prints")) -> PrinterConfig:
    """What `make run` prints to when no printer is configured."""
    return PrinterConfig(name="file", target=FileTarget(directory))


def erase_kept_output(printers: Iterable[PrinterConfig], older_than: datetime) -> int:
    """Deletes what printers that keep their output (file printers) wrote before
    `older_than` (by the file's time: a slip's file is written once, when it prints, and
    its job is final then). Blocking: call it in a thread. Returns how many files went."""
    cutoff = older_than.timestamp()
    erased = 0
    for config in printers:
        if not isinstance(config.target, FileTarget) or not config.target.directory.is_dir():
            continue
        for path in config.target.directory.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another process erased it first
                if path.is_file() and path.stat().st_mtime < cutoff:
                    os.remove(path)
                    erased += 1
    return erased
