"""What a printer profile (python-escpos' capabilities database) lets us use.

No code page covers both Serbian scripts: Cyrillic needs CP1251 or CP855, Latin CP1250 or
CP852. A profile may list both, one or neither; whatever is missing is drawn as an image,
so a profile that can neither print the letters nor draw images is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from escpos.capabilities import CAPABILITIES

# Preferred first: the Windows pages also hold the typographic punctuation (– „ “ …).
CYRILLIC_PAGES: tuple[str, ...] = ("CP1251", "CP855")
LATIN_PAGES: tuple[str, ...] = ("CP1250", "CP852")
SERBIAN_PAGES: tuple[str, ...] = CYRILLIC_PAGES + LATIN_PAGES

_CYRILLIC_PROBE = "ЂЉЊЋЏђљњћџЖж"
_LATIN_PROBE = "ČĆĐŠŽčćđšž"


def profile_names() -> list[str]:
    return sorted(CAPABILITIES["profiles"])


def _profile_data(profile: str) -> dict[str, Any]:
    profiles: dict[str, Any] = CAPABILITIES["profiles"]
    if profile not in profiles:
        raise ValueError(f"profile: unknown printer profile {profile!r}")
    data: dict[str, Any] = profiles[profile]
    return data


@dataclass(frozen=True, slots=True)
class Capabilities:
    profile: str
    code_pages: tuple[tuple[str, int], ...]  # (encoding, ESC t number), in preference order
    native_qr: bool  # GS ( k
    raster: bool  # GS v 0
    cut: bool

    @property
    def encodings(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.code_pages)

    def table(self, encoding: str) -> int:
        return dict(self.code_pages)[encoding]

    def prints_cyrillic_as_text(self) -> bool:
        return any(_covers(cp, _CYRILLIC_PROBE) for cp in self.encodings)

    def prints_latin_as_text(self) -> bool:
        return any(_covers(cp, _LATIN_PROBE) for cp in self.encodings)


def _covers(encoding: str, letters: str) -> bool:
    try:
        letters.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def profile_code_pages(profile: str) -> dict[str, int]:
    """The Serbian code pages the profile lists, encoding -> ESC t table number."""
    tables: dict[str, Any] = _profile_data(profile).get("codePages", {})
    found: dict[str, int] = {}
    for number, name in sorted(tables.items(), key=lambda kv: int(kv[0])):
        upper = str(name).upper()
        if upper in SERBIAN_PAGES and upper not in found:
            found[upper] = int(number)
    return found


def capabilities(
    profile: str,
    *,
    code_pages: Sequence[str] | None = None,
    native_qr: bool | None = None,
    cut: bool | None = None,
) -> Capabilities:
    """The profile's features, narrowed by the printer's configuration: `code_pages`
    picks (and orders) which of the profile's Serbian code pages to use (an empty list
    draws every non-ASCII letter as an image); `native_qr` and `cut` override the profile.
    Raises ValueError naming the configuration key at fault."""
    data = _profile_data(profile)
    features: dict[str, Any] = data.get("features", {})
    available = profile_code_pages(profile)
    if code_pages is None:
        chosen = [cp for cp in SERBIAN_PAGES if cp in available]
    else:
        chosen = [cp.upper().replace("WPC", "CP") for cp in code_pages]
        for cp in chosen:
            if cp not in SERBIAN_PAGES:
                raise ValueError(f"code_pages: {cp} is not one of {', '.join(SERBIAN_PAGES)}")
            if cp not in available:
                raise ValueError(f"code_pages: profile {profile!r} does not list {cp}")
    raster = bool(features.get("bitImageRaster"))
    qr = bool(features.get("qrCode")) if native_qr is None else native_qr
    can_cut = bool(features.get("paperFullCut") or features.get("paperPartCut"))
    caps = Capabilities(
        profile=profile,
        code_pages=tuple((cp, available[cp]) for cp in chosen),
        native_qr=qr,
        raster=raster,
        cut=can_cut if cut is None else cut,
    )
    if not raster:
        both = caps.prints_cyrillic_as_text() and caps.prints_latin_as_text()
        if not both:
            raise ValueError(
                f"profile: {profile!r} can neither print both Serbian scripts as text "
                "nor draw them as images"
            )
        if not qr:
            raise ValueError(
                f"profile: {profile!r} can print QR codes neither natively nor as images"
            )
    return caps
