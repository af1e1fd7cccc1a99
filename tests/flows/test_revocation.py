"""Revoked means revoked: the officer's next message is told so and shows nothing personal,
and the registrations they held wait for a colleague again (issue 10)."""

from __future__ import annotations

from collections.abc import Callable

from ecitizen.app import App
from flows.domain.lifecycle import RegistrationStatus
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register

PERSONAL = ("0512981717776", "012345678", "641234567", "Петровић", "Ана-Марија")
WITHDRAWN = "приступ службеника је повучен"


def nothing_personal(reply: str) -> None:
    for value in PERSONAL:
        assert value not in reply, reply


async def officer_id(app: App, name: str) -> int:
    return next(o.id for o in await app.store.officers() if o.name == name)


async def test_a_revoked_officer_is_told_at_once_and_shown_nothing_personal(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    assert "0512981717776" in await mira.says(ref)  # the card check, while allowed
    review = mira.last

    assert await app.store.revoke_officer(await officer_id(app, "Мира"))

    first = await mira.says("шта?")  # anything at all, on the screen that showed the JMBG
    assert WITHDRAWN in first
    nothing_personal(first)
    # every action of that screen, pressed on the old message, and every way back in
    for label in ("Одобри", "Одбиј", "Врати на чекање", "Назад"):
        reply = await mira.presses_on(review, label)
        nothing_personal(reply)
        assert "Одобри" not in reply and ref not in reply
    for line in ("/start", ref, "/status", "Службеник", "/officer"):
        reply = await mira.says(line)
        nothing_personal(reply)
        assert "Радни простор" not in reply


async def test_registrations_a_revoked_officer_held_go_back_to_the_waiting_list(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    mira_id = await officer_id(app, "Мира")

    assert await app.store.revoke_officer(mira_id)

    reg = await app.store.get_registration(ref)
    assert reg is not None
    assert (reg.status, reg.officer_id) == (RegistrationStatus.CHECKED_IN, None)
    released = [e for e in await app.store.audit_log(ref) if e.action == "release"]
    assert [(e.actor, e.detail) for e in released] == [("operator", f"revoked officer:{mira_id}")]
    zoran = await enrolled(app, chat, "Зоран", counter="2")
    await zoran.picks("Пријаве на чекању")
    assert ref in zoran.text
    await zoran.picks(ref)
    assert "Ваша одлука?" in zoran.text
