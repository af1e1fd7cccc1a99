"""The sample slips (`ecitizen print preview`, `print test`, docs/slips/) are what real
slips look like: made by the same code as the slips the kiosk prints, and every link on
them is a genuine signed link, as the bot would accept it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
import zxingcpp
from PIL import Image

from flows.conversations.slips import SLIP_KINDS
from flows.domain.deep_links import LinkSigner
from flows.domain.refcode import parse_ref
from flows.engine.messages import LANGUAGES
from printing.document import Document
from printing.samples import SAMPLE_BOT, SAMPLE_SECRET, SAMPLE_TIME, sample_document
from printing.slip_layout import slip_from_payload
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import KioskClient

DOCS = Path(__file__).resolve().parents[2] / "docs" / "slips"
URL = re.compile(r"https?://\S+")
BOT_LINK = re.compile(r"https?://t\.me/\S*")  # the portal's own address is not ours to sign


def shape(document: Document) -> list[str]:
    """The blocks one after another, by kind: what a slip has, whatever it says."""
    return [type(block).__name__ for block in document.blocks]


def links_on(document: Document) -> list[str]:
    """Every link to a chat bot, in a QR code or in the text."""
    found = [p for p in document.qr_payloads() if BOT_LINK.fullmatch(p)]
    return found + [m.group(0) for text in document.lines() for m in BOT_LINK.finditer(text)]


def verified(link: str, signer: LinkSigner, bot: str, now: datetime) -> str | None:
    """The reference a deep link names, as the bot checks it; None for anything else."""
    url = urlparse(link)
    if (url.scheme, url.netloc, url.path) != ("https", "t.me", f"/{bot}"):
        return None
    [payload] = parse_qs(url.query).get("start", [""])
    return signer.verify(payload, now)


async def real_slip(slip_hall: HallServer, kind: str) -> Document:
    """What the kiosk queued for the printer: a walk-in ticket, or a registration receipt."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{slip_hall.url}/kiosk/kg")
        await kiosk.state()
        if kind == "ticket":
            await kiosk.send(command="language", payload="en")
            await kiosk.choose("menu.ticket")
            await kiosk.choose("A")
        else:
            await kiosk.register()
    jobs = await slip_hall.app.store.print_jobs("file")
    job = next(j for j in jobs if j.slip == kind)
    return slip_from_payload(job.slip, job.payload, now=SAMPLE_TIME)


@pytest.mark.parametrize("kind", ["ticket", "receipt"])
async def test_a_sample_has_the_blocks_of_the_slip_the_kiosk_prints(
    slip_hall: HallServer, kind: str
) -> None:
    """The walk-in ticket has no "follow the queue" QR code (there is no registration to
    follow); the receipt has the reference's QR and the chat's."""
    real = await real_slip(slip_hall, kind)
    sample = sample_document(kind, "en", deep_link=lambda ref: f"https://t.me/{SAMPLE_BOT}?x")
    assert shape(sample) == shape(real)
    if kind == "ticket":
        assert sample.qr_payloads() == [] == real.qr_payloads()
        assert not any("follow" in line.lower() for line in sample.lines())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", SLIP_KINDS)
def test_every_link_on_a_docs_sample_is_a_signed_link_the_bot_accepts(
    kind: str, language: str
) -> None:
    """The docs' samples are signed with a sample secret for a sample bot; the reference
    they name is a valid one."""
    signer = LinkSigner(SAMPLE_SECRET)
    document = sample_document(kind, language)
    for link in links_on(document):
        ref = verified(link, signer, SAMPLE_BOT, SAMPLE_TIME)
        assert ref is not None, link
        assert isinstance(parse_ref(ref), str)
    if kind == "receipt":
        assert len(links_on(document)) == 1


def test_the_committed_docs_previews_carry_the_signed_links(tmp_path: Path) -> None:
    signer = LinkSigner(SAMPLE_SECRET)
    for path in sorted(DOCS.glob("*.png")):
        found = [b.text for b in zxingcpp.read_barcodes(Image.open(path))]
        links = [f for f in found if URL.fullmatch(f)]
        assert all(verified(x, signer, SAMPLE_BOT, SAMPLE_TIME) for x in links), path.name
        assert (links != []) == path.name.startswith("receipt-"), path.name


def ecitizen(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecitizen.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=config.parent,
    )


def test_a_preview_carries_the_deployment_s_own_signed_link(tmp_path: Path) -> None:
    """Scanned, the receipt's chat QR opens this deployment's bot with a link it accepts
    now; without a bot, a receipt has no chat QR, and neither has the sample."""
    secret = "a-secret-of-this-deployment-0123456789"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n[links]\nsecret = "{secret}"\n'
        '[telegram]\nbot_username = "kg_ecitizen_bot"\n',
        encoding="utf-8",
    )
    out = tmp_path / "receipt.png"
    ecitizen(config, "print", "preview", "receipt", "--lang", "sr-Latn", "--out", str(out))
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(out))]
    [link] = [f for f in found if URL.fullmatch(f)]
    assert verified(
        link, LinkSigner(secret.encode()), "kg_ecitizen_bot", datetime.now().astimezone()
    )

    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    ecitizen(config, "print", "preview", "receipt", "--out", str(out))
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(out))]
    assert len(found) == 1 and not URL.fullmatch(found[0])  # the reference, for the scanner
