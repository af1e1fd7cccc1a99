"""Reads ESC/POS bytes back the way a printer would: code page switches, text decoded in
the page selected at that moment, raster images, native QR codes, cuts.

Written for the tests from the ESC/POS command reference, independent of the code under
test; the code page numbers come from python-escpos' printer database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from escpos.capabilities import CAPABILITIES
from PIL import Image, ImageOps

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A

# Commands with a fixed length (the command bytes and their parameters).
_FIXED = {
    (ESC, ord("@")): 2,
    (ESC, ord("2")): 2,
    **{(ESC, ord(c)): 3 for c in "taE!-MdJ3{GVR"},
    **{(GS, ord(c)): 3 for c in "!Bb"},
    (DLE, 0x04): 3,
}


class UnknownCommand(ValueError):
    pass


def command_length(buf: bytes, i: int) -> int | None:
    """Length of the command starting at buf[i]; None if buf ends before it does."""
    if i + 1 >= len(buf):
        return None
    key = (buf[i], buf[i + 1])
    if key in _FIXED:
        n = _FIXED[key]
        return n if i + n <= len(buf) else None
    if key == (GS, ord("V")):
        if i + 2 >= len(buf):
            return None
        return 3 if buf[i + 2] in (0, 1, 48, 49) else (4 if i + 3 < len(buf) else None)
    if key == (GS, ord("v")):
        if i + 8 > len(buf):
            return None
        width_bytes = buf[i + 4] + 256 * buf[i + 5]
        height = buf[i + 6] + 256 * buf[i + 7]
        n = 8 + width_bytes * height
        return n if i + n <= len(buf) else None
    if key == (GS, ord("(")):
        if i + 5 > len(buf):
            return None
        n = 5 + buf[i + 3] + 256 * buf[i + 4]
        return n if i + n <= len(buf) else None
    raise UnknownCommand(f"unknown command {buf[i : i + 3]!r} at {i}")


@dataclass
class Raster:
    image: Image.Image  # black dots are black (0), as printed


@dataclass
class NativeQr:
    payload: str
    module: int
    ec: int


@dataclass
class Printed:
    """What one slip put on paper: the text rows, images and codes, in order."""

    lines: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # encodings selected, in order
    rasters: list[Raster] = field(default_factory=list)
    qrs: list[NativeQr] = field(default_factory=list)
    cuts: int = 0
    items: list[object] = field(default_factory=list)  # lines (str), Raster, NativeQr
    raw_text: bytes = b""  # every byte printed as text

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def code_tables(profile: str) -> dict[int, str]:
    tables = CAPABILITIES["profiles"][profile].get("codePages", {})
    encodings = CAPABILITIES["encodings"]
    out = {0: "cp437"}
    for number, name in tables.items():
        codec = encodings.get(name, {}).get("python_encode")
        if codec:
            out[int(number)] = codec
    return out


def read(data: bytes, profile: str = "default") -> list[Printed]:
    """The slips in a byte stream, split at each cut (the tail after the last cut, if
    anything was printed there, is a slip of its own without a cut)."""
    tables = code_tables(profile)
    slips: list[Printed] = []
    slip = Printed()
    table = 0
    line = ""
    qr_payload, qr_module, qr_ec = "", 3, 48
    i = 0

    def end_line() -> None:
        nonlocal line
        slip.lines.append(line)
        slip.items.append(line)
        line = ""

    while i < len(data):
        b = data[i]
        if b == LF:
            end_line()
            i += 1
            continue
        if b in (ESC, GS, DLE):
            n = command_length(data, i)
            if n is None:
                raise ValueError(f"truncated command at {i}")
            cmd, arg = data[i + 1], data[i + 2 : i + n]
            if b == ESC and cmd == ord("@"):
                table = 0
            elif b == ESC and cmd == ord("t"):
                table = arg[0]
                if table not in tables:
                    raise ValueError(f"code table {table} is not in the profile {profile}")
                slip.pages.append(tables[table])
            elif b == GS and cmd == ord("V"):
                slip.cuts += 1
                slips.append(slip)
                slip = Printed()
            elif b == GS and cmd == ord("v"):
                wb, h = arg[2] + 256 * arg[3], arg[4] + 256 * arg[5]
                bits = Image.frombytes("1", (wb * 8, h), bytes(arg[6:]))
                image = ImageOps.invert(bits.convert("L"))  # a set bit is a black dot
                slip.rasters.append(Raster(image))
                slip.items.append(slip.rasters[-1])
            elif b == GS and cmd == ord("("):
                cn, fn = arg[2], arg[3]
                if cn == 49 and fn == 67:
                    qr_module = arg[4]
                elif cn == 49 and fn == 69:
                    qr_ec = arg[4]
                elif cn == 49 and fn == 80:
                    qr_payload = bytes(arg[5:]).decode("utf-8")
                elif cn == 49 and fn == 81:
                    slip.qrs.append(NativeQr(qr_payload, qr_module, qr_ec))
                    slip.items.append(slip.qrs[-1])
            i += n
            continue
        if b < 0x20:
            raise ValueError(f"unexpected control byte {b:#x} at {i}")
        start = i
        while i < len(data) and data[i] >= 0x20:
            i += 1
        chunk = data[start:i]
        slip.raw_text += chunk
        line += chunk.decode(tables[table])
    if line:
        end_line()
    if slip.lines or slip.rasters or slip.qrs:
        slips.append(slip)
    return slips


def status_queries(data: bytes) -> list[int]:
    """The n of every DLE EOT n in a stream (the rest skipped command by command)."""
    found: list[int] = []
    i = 0
    while i < len(data):
        if data[i] in (ESC, GS, DLE):
            n = command_length(data, i)
            if n is None:
                break
            if data[i] == DLE:
                found.append(data[i + 2])
            i += n
        else:
            i += 1
    return found
