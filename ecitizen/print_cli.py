"""`ecitizen print ...`: slip previews and a test print, for the lead to hook into the CLI.

ecitizen print preview credentials --lang sr-Latn --width 58 --out credentials.png
ecitizen print test kiosk --slip ticket --lang en     # a sample slip on a printer
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ecitizen.app import link_secret, utc_now
from ecitizen.config import Config, HallSettings
from flows.conversations.slips import SLIP_KINDS, HallInfo
from flows.engine.messages import DEFAULT_LANGUAGE, LANGUAGES
from printing.capabilities import capabilities
from printing.connections import Printout, link_for
from printing.document import Document
from printing.escpos_render import render_escpos
from printing.layout import Geometry
from printing.preview import preview_png
from printing.printers import PrinterConfig
from printing.samples import (
    SAMPLE_HALL,
    SAMPLE_TIME,
    DeepLink,
    deployment_deep_link,
    docs_deep_link,
    sample_document,
)
from printing.status import Condition, query_condition


def no_link(ref: str) -> None:
    """Without a bot, real receipts carry no chat link, and neither do the samples."""
    return None


@dataclass(frozen=True)
class Sample:
    """When the sample slips are issued and the chat links they carry: by default the
    docs' (a fixed time, the sample bot); `deployment_sample` for this deployment's."""

    now: datetime = SAMPLE_TIME
    deep_link: DeepLink = docs_deep_link
    hall: HallInfo = SAMPLE_HALL

    def document(self, slip: str, lang: str) -> Document:
        return sample_document(slip, lang, self.now, self.deep_link, self.hall)


class UnknownHall(ValueError):
    pass


def deployment_sample(
    config: Config, hall: str | None = None, printer: str | None = None
) -> Sample:
    """Samples issued now in one of this deployment's halls (`hall`; else the hall the
    printer serves; else the first), with the chat link its receipts carry (none without a
    bot): scanned, it opens this bot, which accepts it."""
    now, bot = utc_now(), config.telegram.bot_username
    where = HallInfo.of(_hall_of(config, hall, printer).to_hall())
    if not bot:
        return Sample(now, no_link, where)
    days = config.engine.deep_link_days
    return Sample(now, deployment_deep_link(link_secret(config), bot, now, days), where)


def _hall_of(config: Config, code: str | None, printer: str | None) -> HallSettings:
    halls = config.halls
    if code is not None:
        found = next((h for h in halls if h.code == code), None)
        if found is None:
            known = ", ".join(h.code for h in halls)
            raise UnknownHall(f"unknown hall {code!r}; known: {known}")
        return found
    serving = (h for h in halls if printer in (h.printer, *h.counter_printers.values()))
    return next(serving, halls[0])


def preview(
    slip: str,
    lang: str,
    out: Path,
    width_mm: int = 80,
    profile: str = "default",
    sample: Sample = Sample(),
) -> None:
    """Write a PNG of a sample slip at the paper's width (58 or 80 mm)."""
    document = sample.document(slip, lang)
    png = preview_png(document, capabilities(profile), Geometry.for_paper(width_mm))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)


def _send_sample(
    config: PrinterConfig, slip: str, lang: str, sample: Sample
) -> tuple[Condition, Condition]:
    document = sample.document(slip, lang)
    data = render_escpos(document, config.caps, config.geometry)
    link = link_for(config)
    link.open()
    try:
        before = query_condition(link) if link.answers_status else Condition.UNKNOWN
        if not before.can_print:
            return before, before

        def draw() -> bytes:
            return preview_png(document, config.caps, config.geometry)

        link.send(Printout(0, f"test-{slip}", data, draw))
        after = query_condition(link) if link.answers_status else Condition.UNKNOWN
        return before, after
    finally:
        link.close()


async def print_sample(
    config: PrinterConfig,
    slip: str = "ticket",
    lang: str = DEFAULT_LANGUAGE,
    sample: Sample = Sample(),
) -> Condition:
    """Send a sample slip straight to a printer (no print job, no activation code): what
    an operator does to check a new printer. Returns the printer's condition after it."""
    before, after = await asyncio.to_thread(_send_sample, config, slip, lang, sample)
    return after if before.can_print else before


def add_print_parser(sub: Any) -> None:
    """Adds `print` to the `ecitizen` subcommands (`sub` from add_subparsers())."""
    p: argparse.ArgumentParser = sub.add_parser("print", help="slips: preview, test print")
    actions = p.add_subparsers(dest="action", required=True)
    pre = actions.add_parser("preview", help="write a PNG of a sample slip")
    pre.add_argument("slip", choices=SLIP_KINDS)
    pre.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    pre.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper, mm")
    pre.add_argument("--profile", default="default", help="a python-escpos printer profile")
    pre.add_argument("--out", type=Path, default=None, help="default: <slip>-<lang>.png")
    pre.add_argument("--hall", default=None, help="a configured hall's code (default: first)")
    test = actions.add_parser("test", help="print a sample slip on a configured printer")
    test.add_argument("printer")
    test.add_argument("--slip", choices=SLIP_KINDS, default="ticket")
    test.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    test.add_argument("--hall", default=None, help="default: the hall the printer serves")


def run_print_command(
    args: argparse.Namespace, printers: Mapping[str, PrinterConfig], sample: Sample = Sample()
) -> int:
    if args.action == "preview":
        out = args.out or Path(f"{args.slip}-{args.lang}.png")
        preview(args.slip, args.lang, out, args.width, args.profile, sample)
        sys.stdout.write(f"{out}\n")
        return 0
    config = printers.get(args.printer)
    if config is None:
        sys.stderr.write(f"unknown printer {args.printer!r}; known: {', '.join(printers)}\n")
        return 2
    try:
        condition = asyncio.run(print_sample(config, args.slip, args.lang, sample))
    except OSError as e:
        sys.stderr.write(f"printer {args.printer} cannot be reached: {e}\n")
        return 1
    sys.stdout.write(f"printer {args.printer}: {condition.value}\n")
    return 0 if condition.can_print else 1
