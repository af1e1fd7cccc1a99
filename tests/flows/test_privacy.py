"""Personal data stays out of logs, and is erased when no longer needed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.terminal import parse_line
from ecitizen.app import App
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register

PERSONAL = ("0512981717776", "012345678", "641234567", "Петровић", "Ана-Марија", "Petrovi")


async def test_no_personal_data_reaches_the_logs(
    app: App, chat: Callable[..., Chat], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ana = chat("ana")
    await ana.says("/start")
    await ana.picks("ћирилица")
    await ana.picks("Постани")
    await ana.picks("Настави")
    await ana.picks("Да")
    await ana.says("Ана-Марија")
    await ana.says("Петровић")
    await ana.says("0512981717775")  # a wrong check digit: refused, and not logged either
    ref = await register(chat("bob"), WORDS["sr-Latn"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одобри")
    await mira.picks("Да")
    while await app.outbox.run_once():
        pass
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for value in PERSONAL:
        assert value not in logged


async def test_closed_registrations_lose_their_personal_data_after_retention(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])
    await ana.picks("Моја пријава")
    await ana.picks("Откажи пријаву")
    await ana.picks("Да")
    clock.advance(days=29)
    assert await app.store.purge(clock() - timedelta(days=30)) == 0  # not yet
    clock.advance(days=2)
    assert await app.store.purge(clock() - timedelta(days=30)) == 1
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.erased
    assert "Петровић" not in (reg.first_name + reg.last_name) and reg.jmbg == ""
    assert {"submit", "cancel"} <= {e.action for e in await app.store.audit_log(ref)}
    conv = await app.store.load_conversation(ana.key)
    assert conv is None or not conv.slots.get("first_name")


async def test_a_recorded_reply_keeps_no_answer_its_question_does_not_show(
    app: App, chat: Callable[..., Chat]
) -> None:
    """Every reply is kept with its message (for a redelivery): the question for the ID card
    number is kept without the name and JMBG typed before it."""
    ana = chat("ana")
    await ana.begins_registration()
    await ana.answers("Ана-Марија", "Петровић")
    await ana.send(parse_line("0512981717776", ana.key, message_id="jmbg-answer"))
    assert "Упишите број личне карте" in ana.text

    (recorded,) = await app.store.recorded_reply(ana.key.channel, "jmbg-answer") or []
    assert recorded == ana.last
    kept = str(recorded)
    assert not any(data in kept for data in ("Ана-Марија", "Петровић", "0512981717776"))
