"""The kiosk in Chromium, by touch: a registration, a check-in with a scanner, a ticket,
and the browser's own buttons (reload, back) in the middle of it all."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser

from flows.domain.lifecycle import RegistrationStatus
from flows.domain.refcode import new_ref
from flows.engine.records import TicketStatus
from tests.conftest import Clock
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import JMBG, KioskClient
from tests.kiosk.kiosk_page import (
    answer_on_screen,
    check_screen,
    expecting,
    on,
    open_kiosk,
    read_qr,
    tap,
    tap_choice,
    type_on_screen,
)

pytestmark = pytest.mark.browser


async def test_a_whole_registration_by_touch(browser: Browser, hall: HallServer) -> None:
    context, page = await open_kiosk(browser, hall)
    await check_screen(page, "01-language")
    await tap_choice(page, "language.sr-Cyrl")
    await on(page, "menu")
    await check_screen(page, "02-menu")
    assert await page.locator("#choices button").all_inner_texts() == [
        "Постани еГрађанин",
        "Имам заказан термин",
        "Узми редни број",
        "Подешавање апликације ConsentID",
        "Шта могу као еГрађанин?",
    ]
    await tap_choice(page, "menu.register")
    await check_screen(page, "03-intro")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    await on(page, "registration.first_name")
    assert await page.locator("#keyboard button[data-char='љ']").count() == 1  # Cyrillic keys
    await answer_on_screen(page, "петар")
    await on(page, "registration.last_name")
    await type_on_screen(page, "петр")
    await check_screen(page, "04-name-keyboard")
    await answer_on_screen(page, "овић")
    await on(page, "registration.jmbg")
    assert await page.locator("#keyboard button.char").count() == 10  # a digit pad
    await answer_on_screen(page, JMBG)
    await answer_on_screen(page, "001234567")
    await on(page, "registration.phone")
    assert await page.locator("#keyboard button[data-char='+']").count() == 1
    await check_screen(page, "05-phone-pad")
    await answer_on_screen(page, "0641234567")
    await on(page, "registration.email")
    await check_screen(page, "06-email")
    await tap_choice(page, "skip")
    # At the kiosk the hall is the kiosk's own: the next question is the day of the visit.
    await on(page, "registration.visit_day")
    await tap_choice(page, "2026-11-30")
    await on(page, "registration.visit_time")
    await check_screen(page, "07-visit-time")
    await tap_choice(page, "2026-11-30T08:20:00+01:00")  # in 20 minutes: now, in effect
    await on(page, "registration.summary")
    summary = await page.locator("#prompt").inner_text()
    assert "Петар" in summary and "Петровић" in summary and "064 123 4567" in summary
    await check_screen(page, "08-summary")
    await tap_choice(page, "submit")
    await on(page, "menu.after")
    await check_screen(page, "09-registered")

    # Registered at the hall for now: checked in at once, with a place in the queue.
    assert await page.locator("#ticket-value").inner_text() == "A001"
    assert "A001" in await page.locator("#prompt").inner_text()
    ref = await page.locator("#reference-value").inner_text()
    registration = await hall.app.store.get_registration(ref)
    assert registration is not None and registration.status == RegistrationStatus.CHECKED_IN
    assert (registration.first_name, registration.last_name) == ("Петар", "Петровић")
    assert registration.phone == "+381641234567"
    assert registration.hall == "kg"
    link = await read_qr(page)
    assert link.startswith("https://t.me/ecitizen_test_bot?start=")
    day = hall.app.halls["kg"].local_day(hall.app.env.clock())
    [issued] = await hall.app.store.tickets("kg", day)
    assert (issued.label, issued.ref, issued.priority) == ("A001", ref, 0)  # within its slot
    jobs = await hall.app.store.print_jobs()
    assert sorted((j.slip, j.payload.get("ref") or j.payload.get("ticket")) for j in jobs) == [
        ("receipt", ref),
        ("ticket", "A001"),
    ]
    assert await page.locator("#done").is_visible()  # "Finish" wipes, see the privacy tests
    await context.close()


TOMORROW = "2026-12-01"
TOMORROW_0820 = "2026-12-01T08:20:00+01:00"


async def register_for_tomorrow(hall: HallServer) -> str:
    """A citizen registers at the kiosk for tomorrow's visit: a reference and a QR to take
    home, no queue ticket yet."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        done = (await kiosk.register(day=TOMORROW, time=TOMORROW_0820))["screen"]
        await kiosk.send(command="wipe")
    assert done["end"] and done["reference"] and done["qr"] and done["ticket"] is None
    registration = await hall.app.store.get_registration(str(done["reference"]))
    assert registration is not None and registration.status == RegistrationStatus.SUBMITTED
    return str(done["reference"])


async def test_check_in_with_a_scanned_code(
    browser: Browser, hall: HallServer, clock: Clock
) -> None:
    ref = await register_for_tomorrow(hall)
    clock.advance(days=1)  # the day of the visit, 08:00: within the slot's tolerance
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.sr-Latn")
    await tap_choice(page, "menu.checkin")
    await expecting(page, "code")
    assert await page.locator("#answer-input").evaluate("e => e === document.activeElement")
    await check_screen(page, "10-checkin-code")
    # A USB scanner is a keyboard: the code, fast, then Enter.
    before = await page.locator("body").get_attribute("data-seq")
    await page.keyboard.type(ref)
    await page.keyboard.press("Enter")
    await page.locator(f"body:not([data-seq='{before}']):not(.is-busy)").wait_for()
    await on(page, "menu.after")
    await check_screen(page, "11-checked-in")

    ticket = await page.locator("#ticket-value").inner_text()
    assert ticket == "A001"
    assert await page.locator("#reference-value").inner_text() == ref
    assert (await read_qr(page)).startswith("https://t.me/ecitizen_test_bot?start=")
    assert "Prijava" in await page.locator("#prompt").inner_text()  # Serbian Latin
    registration = await hall.app.store.get_registration(ref)
    assert registration is not None and registration.status == RegistrationStatus.CHECKED_IN
    day = hall.app.halls["kg"].local_day(hall.app.env.clock())
    [issued] = await hall.app.store.tickets("kg", day)
    assert (issued.label, issued.ref, issued.priority) == ("A001", ref, 0)  # within its slot
    await context.close()


async def test_a_refused_code_stays_to_be_corrected_and_a_new_scan_replaces_it(
    browser: Browser, hall: HallServer
) -> None:
    ref = await register_for_tomorrow(hall)
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.checkin")
    await expecting(page, "code")
    unknown = new_ref()
    await answer_on_screen(page, unknown)  # tapped on the code keyboard
    await expecting(page, "code")
    assert unknown in await page.locator("#prompt").inner_text()
    assert await page.locator("#answer-input").input_value() == unknown
    await page.keyboard.type(ref)  # the scanner: replaces the refused code
    await tap(page, "#submit")
    await on(page, "menu.after")
    assert await page.locator("#reference-value").inner_text() == ref
    assert await page.locator("#ticket-value").inner_text() == "A001"
    # A day early: checked in all the same, called in order of arrival.
    assert "outside your booked slot" in await page.locator("#prompt").inner_text()
    await context.close()


async def test_a_queue_ticket(browser: Browser, hall: HallServer) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.ticket")
    await on(page, "ticket.service")
    await check_screen(page, "12-ticket-service")
    await tap_choice(page, "B")
    await on(page, "menu.after")
    await check_screen(page, "13-ticket")
    assert await page.locator("#ticket-value").inner_text() == "B001"
    assert await page.locator("#result-qr").is_hidden()
    day = hall.app.halls["kg"].local_day(hall.app.env.clock())
    [issued] = await hall.app.store.tickets("kg", day)
    assert (issued.label, issued.status) == ("B001", TicketStatus.WAITING)
    jobs = await hall.app.store.print_jobs()
    assert [(j.slip, j.payload["ticket"]) for j in jobs] == [("ticket", "B001")]
    await context.close()


async def test_double_taps_reload_and_back_never_duplicate_anything(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await page.goto(f"{hall.url}/")  # came from the landing page
    await page.goto(f"{hall.url}/kiosk/kg")
    await on(page, "kiosk.language")
    await tap_choice(page, "language.en")
    # Three taps on "Take a queue ticket" faster than any answer, then two on a service.
    triple = "b => { b.click(); b.click(); b.click(); }"
    await page.locator("#choices button[data-id='menu.ticket']").evaluate(triple)
    await on(page, "ticket.service")
    await page.locator("body:not(.is-busy)").wait_for()
    await page.reload()
    await on(page, "ticket.service")  # the server remembers where we are
    await page.go_back()
    await page.go_forward()
    await on(page, "ticket.service")
    await page.locator("#choices button[data-id='A']").evaluate(triple)
    await on(page, "menu.after")
    await page.reload()
    await on(page, "menu.after")
    day = hall.app.halls["kg"].local_day(hall.app.env.clock())
    assert [t.label for t in await hall.app.store.tickets("kg", day)] == ["A001"]
    assert len(await hall.app.store.print_jobs()) == 1
    await context.close()


async def test_the_back_button_on_screen_returns_to_the_previous_question(
    browser: Browser, hall: HallServer
) -> None:
    context, page = await open_kiosk(browser, hall)
    await tap_choice(page, "language.en")
    await tap_choice(page, "menu.register")
    await tap_choice(page, "ok")
    await tap_choice(page, "yes")
    await answer_on_screen(page, "ana")
    await on(page, "registration.last_name")
    await tap(page, "#back")
    await on(page, "registration.first_name")
    # the name given stands in the field, to correct or to keep
    assert await page.input_value("#answer-input") == "Ana"
    await tap(page, "#submit")
    await on(page, "registration.last_name")
    assert await page.input_value("#answer-input") == ""  # not answered yet: empty
    await context.close()
