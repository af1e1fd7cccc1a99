"""The hall display: live calls from server-sent events, no personal data, and back by
itself after a server restart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from kiosk.events import board_of
from tests.kiosk.chat_client import ChatClient, call_next, enroll_officer
from tests.kiosk.hall_server import HallServer, start_hall_server
from tests.kiosk.kiosk_client import KioskClient
from tests.kiosk.kiosk_page import screenshot


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)


@pytest.fixture
async def officer(hall: HallServer) -> AsyncIterator[ChatClient]:
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        chat = ChatClient(http, hall.url)
        await enroll_officer(hall.app, chat, counter="2")
        yield chat


async def take_ticket(hall: HallServer, service: str = "A") -> str:
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="en")
        await kiosk.choose("menu.ticket")
        done = await kiosk.choose(service)
        await kiosk.send(command="wipe")
    return str(done["screen"]["ticket"])


async def check_in_registered(hall: HallServer) -> tuple[str, str]:
    """A citizen registers and checks in at the kiosk: (reference, ticket)."""
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        registered = (await kiosk.register())["screen"]
        ref = str(registered["reference"])
        await kiosk.send(command="wipe")
        if registered.get("ticket"):  # registered at the kiosk for now: already in the queue
            return ref, str(registered["ticket"])
        await kiosk.send(command="language", payload="en")
        await kiosk.choose("menu.checkin")
        done = await kiosk.send(scan=ref)
        await kiosk.send(command="wipe")
    return ref, str(done["screen"]["ticket"])


async def open_display(browser: Browser, hall: HallServer) -> Page:
    # Reduced motion: the call's flash animation would make each screenshot different.
    context = await browser.new_context(
        viewport={"width": 1920, "height": 1080}, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{hall.url}/display/kg")
    return page


def waiting(page: Page, service: str) -> Locator:
    return page.locator(f"#waiting li[data-service='{service}'] .count")


@pytest.mark.browser
async def test_the_display_follows_the_officers_calls_live(
    browser: Browser, hall: HallServer, officer: ChatClient
) -> None:
    page = await open_display(browser, hall)
    await expect(page.locator("#none")).to_be_visible()
    await expect(waiting(page, "A")).to_have_text("0")

    ref, first = await check_in_registered(hall)
    second = await take_ticket(hall)
    await expect(waiting(page, "A")).to_have_text("2")

    assert "A001" in await call_next(officer)
    await expect(page.locator("#current-ticket")).to_have_text(first)
    await expect(page.locator("#current-counter")).to_have_text("Шалтер 2")
    await expect(waiting(page, "A")).to_have_text("1")
    await screenshot(page, "20-display", "landscape")

    await officer.picks("served")
    assert second in await call_next(officer)
    await expect(page.locator("#current-ticket")).to_have_text(second)
    await expect(page.locator("#recent li")).to_have_count(1)
    await expect(page.locator("#recent li .ticket")).to_have_text(first)
    await expect(waiting(page, "A")).to_have_text("0")

    # Nothing about the person behind a ticket, ever.
    content = await page.content()
    for personal in (ref, "Петар", "Петровић", "0641234567", "064 123 4567", "+381"):
        assert personal not in content
    await page.set_viewport_size({"width": 1080, "height": 1920})
    await screenshot(page, "20-display", "portrait")


@pytest.mark.browser
async def test_the_display_reconnects_after_a_server_restart(
    browser: Browser, hall: HallServer, officer: ChatClient
) -> None:
    page = await open_display(browser, hall)
    first = await take_ticket(hall)
    await call_next(officer)
    await expect(page.locator("#current-ticket")).to_have_text(first)

    await hall.runner.cleanup()  # the server goes away...
    await expect(page.locator("#offline")).to_be_visible()
    restarted = await start_hall_server(hall.app, port=hall.port)  # ...and comes back
    hall.runner = restarted.runner
    await expect(page.locator("#offline")).to_be_hidden()

    second = await take_ticket(hall)
    await officer.picks("served")
    await call_next(officer)
    await expect(page.locator("#current-ticket")).to_have_text(second)


@pytest.mark.browser
async def test_the_chime_can_be_turned_off(browser: Browser, hall: HallServer) -> None:
    page = await open_display(browser, hall)
    sound = page.locator("#sound")
    await expect(sound).to_have_attribute("aria-pressed", "true")
    await sound.click()
    await expect(sound).to_have_attribute("aria-pressed", "false")
    await expect(sound).to_have_text("Звук искључен")


async def read_event(stream: aiohttp.StreamReader) -> dict[str, str]:
    """One server-sent event (comments and the retry line are fields too)."""
    fields: dict[str, str] = {}
    while True:
        line = (await stream.readline()).decode()
        if line in ("\n", ""):
            if fields:
                return fields
            continue
        name, _, value = line.rstrip("\n").partition(":")
        fields[name or "comment"] = value.removeprefix(" ")


async def test_the_event_stream_sends_boards_and_asks_to_reconnect_quickly(
    hall: HallServer, officer: ChatClient
) -> None:
    first = await take_ticket(hall)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{hall.url}/display/kg/events?lang=en") as r,
    ):
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert r.headers["Cache-Control"] == "no-store"
        assert await read_event(r.content) == {"retry": "2000"}
        event = await read_event(r.content)
        assert event["event"] == "board"
        assert '"waiting":[{"service":"A","count":1,"name":"' in event["data"]
        await call_next(officer)
        called = f'"ticket":"{first}","counter":"2"'
        for _ in range(5):  # the next board (another change may come first)
            event = await read_event(r.content)
            if called in event.get("data", ""):
                break
        assert called in event["data"] and int(event["id"]) >= 2


async def test_the_board_holds_labels_counters_and_counts_only(hall: HallServer) -> None:
    await check_in_registered(hall)
    board = (await hall.hub.board("kg")).as_json()
    assert board == {
        "hall": "kg",
        "called": [],
        "waiting": [
            {"service": "A", "count": 1},
            {"service": "B", "count": 0},
        ],
    }
    tickets = await hall.app.store.tickets(
        "kg", hall.app.halls["kg"].local_day(hall.app.env.clock())
    )
    assert board_of(hall.app.halls["kg"], tickets).waiting == (("A", 1), ("B", 0))
