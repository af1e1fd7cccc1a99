"""Approval prints the credentials at the officer's counter; reprints are audited; a
printer that needs attention is reported to the hall's officers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from ecitizen.app import App
from printing.connections import previews_written
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register
from tests.inbox import Inbox


async def approve(app: App, chat: Callable[..., Chat]) -> tuple[str, Chat]:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"], email="ana@primer.rs")
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одобри")
    await mira.picks("Да")
    return ref, mira


async def test_approval_prints_the_credentials_once_and_a_reprint_is_audited(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref, mira = await approve(app, chat)
    report = await app.printers.run_once()
    assert len(report.printed) == 1
    previews_written()
    prints = Path(app.config.data.dir) / "prints"
    assert len(list(prints.glob("*credentials*.bin"))) == 1
    assert len(list(prints.glob("*credentials*.png"))) == 1
    assert (await app.printers.run_once()).printed == []  # printed once, not again

    await mira.picks("Штампачи")  # she is back at her workspace after approving
    assert "приступни подаци" in mira.text and "одштампан" in mira.text
    await mira.picks("приступни подаци")
    assert "нови код за активацију" in mira.text
    assert "ће бити поново одштампан" in await mira.picks("Да")
    assert len((await app.printers.run_once()).printed) == 1
    assert len(list(prints.glob("*credentials*.bin"))) == 2
    assert "reprint" in [e.action for e in await app.store.audit_log(ref)]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_printer_that_is_off_is_reported_to_the_officers(
    make_app: Callable[..., Any], chat: Callable[..., Chat]
) -> None:
    port = closed_port()
    app: App = await make_app(
        printers={
            "file": {"kind": "file"},
            "counter": {
                "kind": "network",
                "host": "127.0.0.1",
                "port": port,
                "connect_timeout": 0.5,
            },
        }
    )
    try:
        app.halls["kg"].counter_printers["1"] = "counter"
        chat_of = lambda user, channel="terminal": Chat(app, user, channel)  # noqa: E731
        _, mira = await approve(app, chat_of)
        assert "се штампају на штампачу на вашем шалтеру 1" in mira.text
        report = await app.printers.run_once()
        assert report.printed == [] and len(report.waiting) == 1  # kept, to retry
        inbox = Inbox()
        app.add_delivery("terminal", inbox)
        for task in list(app.tasks):
            await task
        while await app.outbox.run_once():
            pass
        told = inbox.texts_for("мира")
        assert any("Штампач „counter“ тражи пажњу" in t and "не одговара" in t for t in told)
    finally:
        await app.close()


async def test_a_slip_whose_data_was_erased_is_not_reprinted_and_the_officer_is_told(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    _, mira = await approve(app, chat)
    assert len((await app.printers.run_once()).printed) == 1
    clock.advance(hours=25)  # past print_keep_hours: what the slip said is erased
    await app.store.purge(
        clock() - timedelta(days=30), printed_before=clock() - timedelta(hours=24)
    )
    await mira.picks("Штампачи")
    await mira.picks("приступни подаци")
    assert "се сада не може поново штампати" in await mira.picks("Да")
    assert (await app.printers.run_once()).printed == []
