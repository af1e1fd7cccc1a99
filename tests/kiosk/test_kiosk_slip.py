"""What the kiosk screen says about the slip it has just queued: "printing" when the
hall's printer can print, and when it cannot (off, unreachable, out of paper, cover open)
that the slip follows later and that everything on it is on the screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ecitizen.app import build_app
from ecitizen.config import parse_config
from flows.engine.records import PrintStatus
from kiosk.settings import KioskSettings
from printing.status import Condition
from tests.conftest import Clock
from tests.fakes.tcp_printer import FakeNetworkPrinter
from tests.kiosk.fixtures import BOT
from tests.kiosk.hall_server import HallServer, PrinterStates, start_hall_server
from tests.kiosk.kiosk_client import KioskClient

PRINTER = "file"  # the sample halls' printer
CANNOT_PRINT = [c for c in Condition if not c.can_print]
CAN_PRINT = [c for c in Condition if c.can_print]
DELAYED_EN = "The printer is not working right now"
PRINTING_EN = "Your slip is printing."


@pytest.fixture
async def kiosk(slip_hall: HallServer) -> AsyncIterator[KioskClient]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = KioskClient(http, f"{slip_hall.url}/kiosk/kg")
        await client.state()
        yield client


async def take_ticket(kiosk: KioskClient) -> dict[str, Any]:
    await kiosk.send(command="language", payload="en")
    await kiosk.choose("menu.ticket")
    await kiosk.choose("B")
    return kiosk.screen


def test_the_kiosk_knows_which_conditions_cannot_print() -> None:
    assert set(CANNOT_PRINT) == {
        Condition.OFFLINE,
        Condition.UNREACHABLE,
        Condition.PAPER_OUT,
        Condition.COVER_OPEN,
    }


async def test_out_of_paper_the_registration_screen_says_the_slip_follows(
    kiosk: KioskClient, slip_hall: HallServer, printer_states: PrinterStates
) -> None:
    printer_states.known[PRINTER] = Condition.PAPER_OUT
    screen = (await kiosk.register())["screen"]  # in Serbian Cyrillic, for now: a ticket too
    assert screen["reference"] and screen["ticket"] == "A001" and screen["qr"]
    assert screen["slip"]["ready"] is False
    note = screen["slip"]["text"]
    assert note == (
        "Штампач тренутно не ради. Листић ће бити одштампан чим проради, а све што на њему "
        "пише видите овде: редни број, шифру пријаве и QR код."
    )
    # Both slips are in the store (the worker below shows they wait for the printer).
    jobs = await slip_hall.app.store.print_jobs(PRINTER)
    assert sorted(j.slip for j in jobs) == ["receipt", "ticket"]

    # Paper in again: the same screen, after a reload, says the slip is printing.
    printer_states.known[PRINTER] = Condition.ONLINE
    again = (await kiosk.state())["screen"]
    assert again["slip"] == {"ready": True, "text": "Ваш листић се штампа. Узмите га са штампача."}
    assert again["reference"] == screen["reference"]


@pytest.mark.parametrize("condition", CANNOT_PRINT)
async def test_a_printer_that_cannot_print_is_told_on_the_ticket_screen(
    kiosk: KioskClient, printer_states: PrinterStates, condition: Condition
) -> None:
    printer_states.known[PRINTER] = condition
    screen = await take_ticket(kiosk)
    assert screen["ticket"] == "B001"
    assert screen["slip"]["ready"] is False
    assert screen["slip"]["text"] == (
        "The printer is not working right now. Your slip will print as soon as it works "
        "again; everything on it is here: the ticket."
    )
    # The flow's own "your slip is printing" would contradict the note: it is left out.
    assert not any("printing" in p for p in screen["paragraphs"])


@pytest.mark.parametrize("condition", [*CAN_PRINT, None])
async def test_a_printer_that_can_print_or_is_not_known_yet_is_printing(
    kiosk: KioskClient, printer_states: PrinterStates, condition: Condition | None
) -> None:
    if condition is not None:
        printer_states.known[PRINTER] = condition
    screen = await take_ticket(kiosk)
    assert screen["slip"] == {
        "ready": True,
        "text": "Your slip is printing. Please take it from the printer.",
    }
    assert sum("printing" in p for p in screen["paragraphs"]) == 0  # said once, in the note


async def test_a_check_in_in_serbian_latin_names_every_part_of_the_slip(
    kiosk: KioskClient, slip_hall: HallServer, printer_states: PrinterStates, clock: Clock
) -> None:
    ref = (await kiosk.register(day="2026-12-01", time="2026-12-01T08:20:00+01:00"))["screen"]
    await kiosk.send(command="wipe")
    clock.advance(days=1)
    printer_states.known[PRINTER] = Condition.COVER_OPEN
    await kiosk.send(command="language", payload="sr-Latn")
    await kiosk.choose("menu.checkin")
    screen = (await kiosk.send(scan=str(ref["reference"])))["screen"]
    assert screen["ticket"] == "A001" and screen["reference"] == ref["reference"]
    assert screen["slip"]["ready"] is False
    assert screen["slip"]["text"].startswith("Štampač trenutno ne radi")
    assert screen["slip"]["text"].endswith("redni broj, šifru prijave i QR kod.")


async def test_screens_that_queue_no_slip_say_nothing_about_it(
    kiosk: KioskClient, printer_states: PrinterStates
) -> None:
    printer_states.known[PRINTER] = Condition.PAPER_OUT
    await kiosk.send(command="language", payload="en")
    assert kiosk.screen["slip"] is None  # the menu
    await kiosk.choose("menu.checkin")
    refused = await kiosk.send(text="AAAA-BBBB")  # no such registration
    assert refused["screen"]["slip"] is None
    await kiosk.send(command="cancel")
    await kiosk.choose("menu.register")
    await kiosk.choose("ok")
    assert kiosk.screen["slip"] is None
    wiped = await kiosk.send(command="wipe")
    assert wiped["screen"]["slip"] is None


async def test_a_failing_status_lookup_costs_nothing_but_the_note(
    kiosk: KioskClient, printer_states: PrinterStates
) -> None:
    printer_states.failing = True
    screen = await take_ticket(kiosk)
    assert screen["ticket"] == "B001" and screen["slip"] is None


async def test_without_a_printer_condition_the_kiosk_keeps_the_flow_s_words(
    make_app: Callable[..., Any],
) -> None:
    app = await make_app(**BOT)
    server = await start_hall_server(app, printer_ready=None)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            kiosk = KioskClient(http, f"{server.url}/kiosk/kg")
            await kiosk.state()
            screen = await take_ticket(kiosk)
    finally:
        await server.close()
    assert screen["ticket"] == "B001" and screen["slip"] is None
    assert any("Your slip is printing." in p for p in screen["paragraphs"])


# -- with the real print worker and a network printer on a socket ---------------------------


@pytest.fixture
def network_printer() -> Iterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter(mode="paper_out").start()
    yield fake
    fake.stop()


@pytest.fixture
async def printing_hall(
    tmp_path: Path, clock: Clock, network_printer: FakeNetworkPrinter
) -> AsyncIterator[HallServer]:
    """Hall kg prints on a network printer; the kiosk asks the app's print worker."""
    raw: dict[str, Any] = {
        "data": {"dir": str(tmp_path / "var")},
        **BOT,
        "printers": {
            "hall": {
                "kind": "network",
                "host": "127.0.0.1",
                "port": network_printer.port,
                "profile": "TM-T20II",
                "status_timeout": 0.5,
            }
        },
        "halls": [
            {
                "code": "kg",
                "name": "Крагујевац, Градска управа",
                "name_en": "Kragujevac City Administration",
                "address": "Трг слободе 3, Крагујевац",
                "printer": "hall",
            }
        ],
    }
    app = await build_app(parse_config(raw), clock=clock)
    server = await start_hall_server(app, KioskSettings(slip_refresh_seconds=0.5))
    yield server
    await server.close()


async def until(check: Callable[[], Any], what: str) -> None:
    """Wait for the workers to get somewhere (bounded, so a hang fails the test)."""
    for _ in range(400):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


async def test_the_print_worker_s_word_reaches_the_screen(
    printing_hall: HallServer, network_printer: FakeNetworkPrinter, clock: Clock
) -> None:
    app = printing_hall.app
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{printing_hall.url}/kiosk/kg")
        await kiosk.state()
        await take_ticket(kiosk)

        async def paper_out() -> bool:
            return app.printers.conditions().get("hall") is Condition.PAPER_OUT

        await until(paper_out, "the worker finds the printer out of paper")
        screen = (await kiosk.state())["screen"]
        assert screen["slip"]["ready"] is False and DELAYED_EN in screen["slip"]["text"]
        [job] = await app.store.print_jobs("hall")
        assert job.status is PrintStatus.QUEUED and network_printer.complete_slips("TM-T20II") == []

        network_printer.mode = "online"  # paper in
        clock.advance(minutes=2)  # past the worker's backoff
        app.printers.wake()

        async def printed() -> bool:
            [job] = await app.store.print_jobs("hall")
            return job.status is PrintStatus.PRINTED

        await until(printed, "the slip is printed once the paper is in")
        screen = (await kiosk.state())["screen"]
        assert screen["slip"]["ready"] is True and screen["slip"]["text"].startswith(PRINTING_EN)
    [slip] = network_printer.complete_slips("TM-T20II")
    assert "B001" in slip.text
