"""Continue in Viber: the kiosk, the slips and the web chat offer the Viber chat (alone,
or beside Telegram's), with the same signed payload; opening it links the registration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.web.render import render_outbound as web_render
from kiosk.screens import screen_from
from printing.slip_layout import slip_from_payload
from tests.bot.viber.vb_support import ViberBot, serve_viber
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.fakes.viber_api import FakeViberApi
from tests.flows.test_citizen_dialogue import register_at_kiosk


def context_of(link: str) -> str:
    assert link.startswith("viber://pa?")
    query = parse_qs(urlsplit(link).query)
    assert query["chatURI"] == ["ecitizen-test"]
    return query["context"][0]


async def receipt_of(bot: ViberBot, clock: Clock, ref: str) -> Any:
    [job] = [j for j in await bot.app.store.print_jobs() if j.slip == "receipt"]
    assert job.payload["ref"] == ref
    return slip_from_payload("receipt", job.payload, now=clock())


async def test_a_kiosk_registration_is_followed_in_viber_through_the_deep_link(
    bot: ViberBot, clock: Clock
) -> None:
    at_the_kiosk = Chat(bot.app, "kg:s1", channel="kiosk")
    ref = await register_at_kiosk(at_the_kiosk)
    link = at_the_kiosk.last.qr  # Viber alone configured: its link is the one shown
    assert link is not None
    payload = context_of(link)
    assert len(payload) <= 64

    screen = screen_from([at_the_kiosk.last], "sr-Cyrl")
    assert screen["qr_caption"] == "result.qr_viber" and screen["qr_viber"] is None
    receipt = await receipt_of(bot, clock, ref)
    assert link in receipt.qr_payloads()
    assert any("Вајберу" in line for line in receipt.lines())

    ana = bot.person("Ана")
    linked = await ana.opens(payload)  # conversation_started with the context
    assert f"Пријава {ref} је повезана са овим разговором" in linked
    assert ana.user.inbox[-1].welcome  # the one message Viber allows before subscribing

    eva = bot.person("Ева", language="en")
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    assert "This link is not valid or has expired" in await eva.opens(forged)


@pytest.fixture
async def both(make_app: Callable[..., Any], api: FakeViberApi) -> AsyncIterator[ViberBot]:
    app = await make_app(telegram={"bot_username": "ecitizen_test_bot"})
    served = await serve_viber(app, api)
    yield served
    await served.close()


async def test_with_telegram_too_viber_is_offered_beside_it_everywhere(
    both: ViberBot, clock: Clock
) -> None:
    at_the_kiosk = Chat(both.app, "kg:s1", channel="kiosk")
    ref = await register_at_kiosk(at_the_kiosk)
    done = at_the_kiosk.last
    telegram = done.qr
    assert telegram is not None and telegram.startswith("https://t.me/ecitizen_test_bot?start=")
    viber = done.extras["link.viber"]
    assert context_of(viber) == telegram.split("start=", 1)[1]  # the same signed payload

    screen = screen_from([done], "sr-Cyrl")  # the kiosk: both codes, each with its words
    assert screen["qr"] and screen["qr_caption"] == "result.qr"
    assert screen["qr_viber"] and screen["qr_viber"] != screen["qr"]

    receipt = await receipt_of(both, clock, ref)  # the slip: both codes, Telegram first
    assert receipt.qr_payloads()[-2:] == [telegram, viber]
    lines = receipt.lines()
    assert any("Телеграму" in line for line in lines) and any("Вајберу" in line for line in lines)

    shown = web_render(done)  # the web chat: both codes and both links
    assert shown["link"] == telegram and shown["viber_link"] == viber and shown["viber_qr"]

    ana = both.person("Ана")
    assert f"Пријава {ref} је повезана" in await ana.opens(context_of(viber))
