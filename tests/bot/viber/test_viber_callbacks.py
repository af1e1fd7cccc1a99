"""The callback route: only Viber's signed callbacks are processed, and nothing crashes.

Viber signs each callback's raw body (X-Viber-Content-Signature: hex HMAC-SHA256 keyed
with the bot token). A missing or wrong signature is refused with 403 and changes
nothing; a body that is not a callback is 400; an event we do not use is 200.
"""

from __future__ import annotations

import json

import pytest

from bot.viber.callbacks import signature
from flows.engine.messages import ConversationKey
from tests.bot.viber.vb_support import ViberBot
from tests.fakes.viber_api import sign


def message_from(user_id: str, text: str, token: int = 7_000_000_001) -> bytes:
    return json.dumps(
        {
            "event": "message",
            "timestamp": 1_764_486_000_000,
            "message_token": token,
            "sender": {"id": user_id, "language": "sr"},
            "message": {"type": "text", "text": text},
        }
    ).encode()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "0" * 64,
        signature("another bot's token", b"{}"),
    ],
    ids=["missing", "empty", "zeros", "another-key"],
)
async def test_a_callback_without_a_good_signature_is_refused_and_changes_nothing(
    bot: ViberBot, header: str | None
) -> None:
    ana = bot.api.user("Ана")
    body = message_from(ana.id, "/start")
    status, _ = await bot.api.post_raw(body, header)

    assert status == 403
    assert await bot.app.store.load_conversation(ConversationKey("viber", ana.id)) is None
    assert ana.inbox == []


async def test_a_signature_of_another_body_is_refused(bot: ViberBot) -> None:
    ana = bot.api.user("Ана")
    genuine = message_from(ana.id, "/start")
    forged = message_from(ana.id, "/officer 1234")
    status, _ = await bot.api.post_raw(forged, sign(bot.api.token, genuine))
    assert status == 403
    assert ana.inbox == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        b'{"no_event": true}',
        b'{"event": "message", "timestamp": 1}',  # no sender, no message
        b'{"event": "message", "timestamp": 1, "sender": {"id": "x"}, "message": {}}',
        b'{"event": "unsubscribed", "timestamp": 1}',  # no user_id
        b'{"event": "webhook"}',  # no timestamp
    ],
)
async def test_a_signed_body_that_is_not_a_callback_is_400(bot: ViberBot, body: bytes) -> None:
    status, _ = await bot.api.post_raw(body, sign(bot.api.token, body))
    assert status == 400


@pytest.mark.parametrize("event", ["webhook", "client_status", "something_new"])
async def test_events_we_do_not_use_are_answered_200(bot: ViberBot, event: str) -> None:
    body = json.dumps({"event": event, "timestamp": 1_764_486_000_000}).encode()
    status, _ = await bot.api.post_raw(body, sign(bot.api.token, body))
    assert status == 200


async def test_the_signature_may_come_in_capitals(bot: ViberBot) -> None:
    ana = bot.api.user("Ана")
    ana.subscribed = True  # writing subscribes
    body = message_from(ana.id, "/start")
    status, _ = await bot.api.post_raw(body, sign(bot.api.token, body).upper())
    assert status == 200 and ana.inbox


async def test_set_webhook_registered_our_route_after_viber_checked_it(bot: ViberBot) -> None:
    assert bot.api.webhook == f"{bot.base_url}/viber/webhook"
    assert ("webhook", 0, 200) in bot.api.callbacks
    assert {"delivered", "seen", "failed", "subscribed", "unsubscribed"} <= set(bot.api.event_types)
