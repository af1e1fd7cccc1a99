"""The file printer (what `make run` prints to) keeps a slip only as long as someone may
want to look at it, and never keeps an activation code: the credentials it writes are
masked, and the slip says so (issue 10)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import zxingcpp
from PIL import Image

from flows.conversations.slips import CredentialsSlip, ReceiptSlip
from flows.engine.records import NewAccount, Unit
from printing import PrintWorker, parse_printer
from printing.connections import previews_written
from state import SqlStore
from state.accounts import BuiltinAccountProvider
from tests.fakes.tcp_printer import read
from tests.printing.printing_support import HALL, enqueue

if TYPE_CHECKING:
    from tests.conftest import Clock

A_CODE = re.compile(r"[A-Z2-9]{4}-?[A-Z2-9]{4}-?[A-Z2-9]{4}")


def file_printer(prints: Path) -> dict:
    return {"file": parse_printer("file", {"kind": "file", "dir": str(prints)})}


async def test_the_file_printer_writes_the_credentials_masked_and_says_so(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, tmp_path: Path
) -> None:
    prints = tmp_path / "prints"
    await store.apply(Unit(accounts=[NewAccount("K7M4-PX9N", "jelena.petrovic")]))
    payload = CredentialsSlip(language="en", hall=HALL, username="jelena.petrovic").payload()
    job_id = await enqueue(store, "c1", "file", "credentials", payload)
    worker = PrintWorker(store, file_printer(prints), accounts, clock)

    assert (await worker.run_once()).printed == [job_id]
    previews_written()

    stem = prints / f"{job_id:06d}-credentials"
    [slip] = read(stem.with_suffix(".bin").read_bytes(), "default")
    assert "jelena.petrovic" in slip.text and "****-****-****" in slip.text
    assert "masked" in slip.text  # the slip says why there is no code
    assert not A_CODE.search(slip.text.replace("jelena.petrovic", ""))
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(stem.with_suffix(".png")))]
    assert found and not any(A_CODE.search(text) for text in found)


async def test_kept_slips_are_erased_once_older_than_the_limit(
    store: SqlStore, accounts: BuiltinAccountProvider, clock: Clock, tmp_path: Path
) -> None:
    from printing.printers import erase_kept_output

    prints = tmp_path / "prints"
    printers = file_printer(prints)
    receipt = ReceiptSlip(
        language="en", hall=HALL, ref="K7M4-PX9N", visit_at=None, issued_at=clock(), deep_link=None
    ).payload()
    await enqueue(store, "r1", "file", "receipt", receipt)
    assert (await PrintWorker(store, printers, accounts, clock).run_once()).printed
    previews_written()
    written = sorted(prints.iterdir())
    assert len(written) == 2

    # a file's age is the file system's (the slip was written at the real time, now)
    printed = datetime.now(UTC)
    assert erase_kept_output(printers.values(), printed - timedelta(hours=1)) == 0
    assert sorted(prints.iterdir()) == written
    assert erase_kept_output(printers.values(), printed + timedelta(minutes=1)) == 2
    assert list(prints.iterdir()) == []
