"""The web chat and the kiosk over HTTP after the approval: the store's QR code in the
ConsentID guide; a PIN or an activation code typed there is answered, and reaches no table
(the chat's own echo is masked) and no log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.flows.test_app_secrets import CODE, PIN, TOLD, assert_kept_nowhere
from tests.kiosk.chat_client import ChatClient, enroll_officer, register_in_chat
from tests.kiosk.fixtures import hall
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import KioskClient

__all__ = ["hall"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def test_the_web_chat_keeps_no_pin_or_code(
    hall: HallServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = ChatClient(http, hall.url)
    await chat.says("/start")
    await chat.picks("lang:sr-Cyrl")
    for typed in (PIN, f"PIN: {PIN}", CODE):
        body = await chat.says(typed)
        mine = [i for i in body["items"] if i["from"] == "me"]
        assert mine and "••••••" in mine[0]["text"][0]  # the echo, masked
        assert TOLD in chat.text
    async with http.get(f"{hall.url}/chat/api/history") as r:  # after a reload too
        assert PIN not in await r.text() and CODE not in await r.text()
    assert_kept_nowhere(hall.app, caplog)


async def test_the_kiosk_keeps_no_pin_or_code(
    hall: HallServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
    await kiosk.state()
    await kiosk.send(command="language", payload="sr-Cyrl")
    await kiosk.choose("menu.register")
    await kiosk.choose("ok")
    await kiosk.choose("yes")
    for typed in (PIN, CODE):
        await kiosk.send(text=typed)
        assert TOLD in kiosk.text
        assert kiosk.screen["name"] == "registration.first_name"  # the question stays
    # the same message again (a retried request) is answered with the same screen
    status, body = await kiosk.post({"seq": kiosk.seq, "text": CODE})
    assert status == 200 and TOLD in "\n".join(body["screen"]["paragraphs"])
    assert_kept_nowhere(hall.app, caplog)


async def test_the_web_chat_shows_the_store_as_a_qr_code_after_the_approval(
    hall: HallServer, http: aiohttp.ClientSession
) -> None:
    citizen = ChatClient(http, hall.url)
    ref = await register_in_chat(citizen)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        officer = ChatClient(other, hall.url)
        await enroll_officer(hall.app, officer, counter="1")
        await officer.picks("open")
        await officer.says(ref)
        await officer.picks("approve")
        await officer.picks("yes")
    await citizen.says("/consentid")
    await citizen.picks("android")
    assert "step 1 of 6" in citizen.text
    assert str(citizen.last["qr"]).startswith("data:image/svg")  # scanned with the phone
    assert str(citizen.last["link"]).startswith("https://play.google.com/")
