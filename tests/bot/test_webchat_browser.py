"""The web chat in Chromium on a phone-sized screen: a registration, a reload, and the
officer's call arriving in the open page by itself."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.kiosk.chat_client import ChatClient, call_next, enroll_officer
from tests.kiosk.fixtures import browser, hall
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import JMBG, KioskClient
from tests.kiosk.kiosk_page import screenshot
from tests.kiosk.test_kiosk_accessibility import axe_path, axe_violations

__all__ = ["browser", "hall"]

pytestmark = pytest.mark.browser


async def bot_says(page: Page, text: str) -> None:
    await expect(page.locator(".msg.bot").last).to_contain_text(text)


async def pick(page: Page, choice_id: str) -> None:
    count = await page.locator(".msg.bot").count()
    await page.locator(f".msg.bot:last-child .choices button[data-id='{choice_id}']").tap()
    await expect(page.locator(".msg.bot")).to_have_count(count + 1)


async def type_answer(page: Page, text: str) -> None:
    count = await page.locator(".msg.bot").count()
    await page.locator("#input").fill(text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg.bot")).to_have_count(count + 1)


async def test_a_registration_in_the_web_chat_and_the_call_arriving_live(
    browser: Browser, hall: HallServer
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{hall.url}/chat")
    await bot_says(page, "Choose your language.")
    await pick(page, "lang:en")
    await bot_says(page, "What would you like to do?")
    await screenshot(page, "30-webchat", "phone")
    await pick(page, "menu.register")
    await pick(page, "ok")
    await pick(page, "yes")
    for answer in ("Milica", "Milić", JMBG, "001234567", "0641234567", "milica@example.com"):
        await type_answer(page, answer)
    await pick(page, "kg")
    await pick(page, "walk_in")
    await pick(page, "submit")
    reference = page.locator(".msg.bot .badge.reference strong").last
    await expect(reference).to_be_visible()
    ref = await reference.inner_text()
    await expect(page.locator(".msg.bot img.qr").last).to_be_visible()
    await screenshot(page, "31-webchat-registered", "phone")
    assert await page.evaluate("() => localStorage.length + sessionStorage.length") == 0

    await page.reload()  # the conversation is still there
    await expect(page.locator(".msg.bot .badge.reference strong").last).to_have_text(ref)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="en")
        await kiosk.choose("menu.checkin")
        ticket = str((await kiosk.send(scan=ref))["screen"]["ticket"])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        officer = ChatClient(http, hall.url)
        await enroll_officer(hall.app, officer, counter="1")
        await call_next(officer)
    await bot_says(page, ticket)  # delivered by the outbox, picked up by the long poll
    await context.close()


async def test_the_chat_is_a_main_region_with_the_log_and_the_answer_in_it(
    browser: Browser, hall: HallServer
) -> None:
    """A screen reader finds the conversation and the answer field in the page's main
    region, the conversation as a log; axe finds nothing of moderate impact or worse at
    any point of a registration (choices, codes, the QR code, the link)."""
    axe_path()
    # axe is injected as a script of its own, which the page's CSP rightly refuses.
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{hall.url}/chat")
    await bot_says(page, "Choose your language.")
    main = page.get_by_role("main")
    await expect(main).to_have_count(1)
    await expect(main.get_by_role("log")).to_have_count(1)
    await expect(main.get_by_role("log").locator(".msg.bot")).not_to_have_count(0)
    await expect(main.get_by_role("textbox")).to_have_count(1)
    await expect(main.locator("form #send")).to_have_count(1)
    report = {"language": await axe_violations(page)}
    await pick(page, "lang:en")
    await pick(page, "menu.register")
    report["question with choices"] = await axe_violations(page)
    await pick(page, "ok")
    await pick(page, "yes")
    for answer in ("Milica", "Milić", JMBG, "001234567", "0641234567"):
        await type_answer(page, answer)
    await pick(page, "skip")
    await pick(page, "kg")
    await pick(page, "walk_in")
    await pick(page, "submit")
    await expect(page.locator(".msg.bot img.qr").last).to_be_visible()
    report["registered"] = await axe_violations(page)
    assert {k: v for k, v in report.items() if v} == {}
    await context.close()


async def order_in_last_message(page: Page) -> list[str]:
    """What the last bot message shows, top to bottom: its paragraphs as text, the rest by
    kind (badge, qr, link with its words, choices)."""
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('.msg.bot')].pop().children.length &&
            [...[...document.querySelectorAll('.msg.bot')].pop().children].map((e) =>
                e.tagName === 'P' && !e.classList.contains('badge') ? e.textContent :
                e.classList.contains('badge') ? 'badge' :
                e.tagName === 'IMG' ? 'qr' :
                e.tagName === 'A' ? 'link: ' + e.textContent : 'choices')"""
    )
    return found


async def test_the_question_sits_above_its_buttons_and_a_store_link_is_not_telegram(
    browser: Browser, hall: HallServer
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{hall.url}/chat")
    await bot_says(page, "Choose your language.")
    await pick(page, "lang:en")
    await pick(page, "menu.register")
    await pick(page, "ok")
    await pick(page, "yes")
    for answer in ("Milica", "Milić", JMBG, "001234567", "0641234567"):
        await type_answer(page, answer)
    await pick(page, "skip")
    await pick(page, "kg")
    await pick(page, "walk_in")
    await pick(page, "submit")
    shown = await order_in_last_message(page)
    # the code, the QR and its link first; then the menu's question, right above its buttons
    assert shown[-4:] == ["qr", "link: Open in Telegram", "What would you like to do?", "choices"]
    assert shown.index("badge") < shown.index("What would you like to do?")
    ref = await page.locator(".msg.bot .badge.reference strong").last.inner_text()

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        officer = ChatClient(http, hall.url)
        await enroll_officer(hall.app, officer, counter="1")
        await officer.picks("open")
        await officer.says(ref)
        await officer.picks("approve")
        await officer.picks("yes")
    await bot_says(page, "you are an eCitizen")
    await pick(page, "cmd:consentid")
    await pick(page, "android")
    shown = await order_in_last_message(page)
    # the QR opens the Play Store: its link does not promise Telegram
    assert "link: Open the link" in shown and "link: Open in Telegram" not in shown
    assert shown[-2:] == ["Did it work?", "choices"]
    await context.close()
