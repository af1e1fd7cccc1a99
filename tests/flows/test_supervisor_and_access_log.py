"""Supervisors see who holds which registration of their hall and put any of them back
on the waiting list; every time an officer is shown a JMBG and ID card number, the audit
log says who saw which registration, and when (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ecitizen.app import App
from flows.conversations.officer import invite_hash, new_invite_code
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.records import OfficerInvite
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register
from tests.flows.test_revocation import nothing_personal, officer_id

HELD = "Ко шта обрађује"


async def supervisor(app: App, chat: Callable[..., Chat], name: str) -> Chat:
    code = new_invite_code()
    expires = app.env.clock() + timedelta(hours=1)
    await app.store.add_invite(OfficerInvite(invite_hash(code), name, "kg", expires, True))
    boss = chat(name.lower())
    await boss.says("/start")
    await boss.picks("ћирилица")
    assert f"Добро дошли, {name}!" in await boss.says(f"/officer {code}")
    await boss.picks("Службеник")
    return boss


async def test_a_supervisor_puts_back_what_an_officer_holds(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    review = mira.last
    assert HELD not in "\n".join(mira.choices) and HELD not in str(review.choices)

    sara = await supervisor(app, chat, "Сара")
    held = await sara.picks(HELD)
    assert f"{ref} · обрађује Мира" in held
    nothing_personal(held)  # who holds what, not whose data
    await sara.picks(ref)
    assert f"пријава {ref} врати на чекање" in sara.text
    assert f"Пријава {ref} је враћена на чекање; Мира је више не обрађује" in await sara.picks("Да")

    reg = await app.store.get_registration(ref)
    assert reg is not None and (reg.status, reg.officer_id) == (RegistrationStatus.CHECKED_IN, None)
    sara_id, mira_id = await officer_id(app, "Сара"), await officer_id(app, "Мира")
    [released] = [e for e in await app.store.audit_log(ref) if e.action == "release"]
    assert (released.actor, released.detail) == (f"officer:{sara_id}", f"held by officer:{mira_id}")
    # Mira's old screen decides nothing and shows nothing any more
    await mira.presses_on(review, "Одобри")
    refused = await mira.picks("Да")
    assert f"Пријаву {ref} више не обрађујете" in refused
    nothing_personal(refused)
    assert (await app.store.get_registration(ref)).status is RegistrationStatus.CHECKED_IN


async def test_every_showing_of_a_jmbg_to_an_officer_is_in_the_access_log(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Пријаве на чекању")  # names only: not in the access log
    await mira.picks(ref)
    assert "0512981717776" in mira.text
    assert "0512981717776" in await mira.says("шта?")  # shown again
    await mira.picks("Назад")

    mira_id = await officer_id(app, "Мира")
    views = [e for e in await app.store.audit_log(ref) if e.action == "view"]
    assert [(e.actor, e.ref, e.detail) for e in views] == 2 * [
        (f"officer:{mira_id}", ref, "jmbg, id_number")
    ]
    assert all(e.at is not None for e in views)
