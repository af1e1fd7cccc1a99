"""An officer enrolls with a one-time code and decides registrations from the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from ecitizen.app import App
from flows.conversations.officer import invite_hash, new_invite_code
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.records import OfficerInvite, PrintStatus
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk
from tests.flows.test_registration_dialogue import WORDS, register
from tests.inbox import Inbox


async def invite(app: App, name: str, hall: str = "kg", hours: int = 72) -> str:
    code = new_invite_code()
    expires = app.env.clock() + timedelta(hours=hours)
    await app.store.add_invite(OfficerInvite(invite_hash(code), name, hall, expires))
    return code


async def enrolled(app: App, chat: Callable[..., Chat], name: str, counter: str = "1") -> Chat:
    officer = chat(name.lower())
    await officer.says("/start")
    await officer.picks("ћирилица")
    code = await invite(app, name)
    reply = await officer.says(f"/officer {code}")
    assert f"Добро дошли, {name}!" in reply
    await officer.picks("Службеник")
    await officer.picks("Мој шалтер")
    await officer.picks(f"Шалтер {counter}")
    return officer


async def test_an_enrollment_code_works_once_and_never_after_it_expires(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    code = await invite(app, "Мира")
    mira = chat("mira")
    await mira.says("/start")
    await mira.picks("ћирилица")
    assert "Добро дошли, Мира" in await mira.says(f"/officer {code}")
    intruder = chat("intruder")
    await intruder.says("/start")
    await intruder.picks("ћирилица")
    assert "није исправан, већ је искоришћен" in await intruder.says(f"/officer {code}")
    late = await invite(app, "Зоран", hours=1)
    clock.advance(hours=2)
    assert "истекао" in await intruder.says(f"/officer {late}")
    stored = await app.store.officers("kg")
    assert [o.name for o in stored] == ["Мира"]


async def test_an_officer_approves_after_checking_the_id_card(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"], email="ana@primer.rs")
    mira = await enrolled(app, chat, "Мира")

    await mira.picks("Пријаве на чекању")
    assert ref in mira.text and "Ана-Марија Петровић" in mira.text
    await mira.picks(ref)
    assert "0512981717776" in mira.text and "012345678" in mira.text  # to compare with the card
    assert "ЈМБГ: 0512981717776 (Београд)" in mira.text  # where the number was given
    await mira.picks("Одобри")
    assert "проверили личну карту" in mira.text
    reply = await mira.picks("Да")
    assert f"Пријава {ref} је одобрена" in reply
    assert "Корисничко име: ana@primer.rs" in reply
    # where to pick them up, not the printer's name in the configuration ("file")
    assert "се штампају на штампачу поред екрана у сали" in reply and "file" not in reply

    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.APPROVED
    assert reg.username == "ana@primer.rs"
    jobs = await app.store.print_jobs()
    credentials = [j for j in jobs if j.slip == "credentials"]
    assert len(credentials) == 1 and credentials[0].status == PrintStatus.QUEUED
    assert "code" not in credentials[0].payload  # the activation code is made at print time
    log = await app.store.audit_log(ref)
    assert {"submit", "claim", "approve"} <= {e.action for e in log}


async def test_the_citizen_is_told_of_the_approval_without_the_activation_code(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["en"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref.lower().replace("-", " "))
    await mira.picks("Одобри")
    await mira.picks("Да")
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    while await app.outbox.run_once():
        pass
    delivered = inbox.texts_for("ana")
    assert len(delivered) == 1
    assert "you are an eCitizen" in delivered[0] and "ana.marija.petrovic" in delivered[0]
    assert "ConsentID" in delivered[0]


async def test_a_rejection_reaches_the_citizen_with_the_reason(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одбиј")
    await mira.picks("други разлог")
    reply = await mira.says("Лична карта је истекла.")
    assert f"Пријава {ref} је одбијена" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.REJECTED
    status = await ana.picks("Моја пријава")
    assert "одбијена" in status and "Лична карта је истекла." in status


async def test_two_officers_opening_the_same_registration_one_wins_the_other_is_told(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира", counter="1")
    zoran = await enrolled(app, chat, "Зоран", counter="2")
    await mira.picks("Отвори по шифри")
    await zoran.picks("Отвори по шифри")
    replies = await asyncio.gather(mira.says(ref), zoran.says(ref))
    winners = [r for r in replies if "Ваша одлука?" in r]
    losers = [r for r in replies if "већ обрађује" in r]
    assert len(winners) == 1 and len(losers) == 1
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.IN_REVIEW
    holder = "Мира" if "Ваша одлука?" in replies[0] else "Зоран"
    assert f"већ обрађује {holder}" in losers[0]


async def test_a_new_check_in_reaches_the_officers_of_that_hall(
    app: App, chat: Callable[..., Chat]
) -> None:
    mira = await enrolled(app, chat, "Мира")
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])
    kiosk = chat("kg:s1", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    reply = await kiosk.says(ref)
    assert "Добро дошли! Пријава" in reply
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    while await app.outbox.run_once():
        pass
    assert any(f"Стигла је пријава {ref}" in t for t in inbox.texts_for(mira.user))


async def test_rejecting_with_a_reason_from_the_list_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["en"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одбиј")
    await mira.picks("не слажу са личном картом")
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    while await app.outbox.run_once():
        pass
    told = inbox.texts_for("ana")
    assert len(told) == 1
    assert f"Registration {ref} was not approved" in told[0]
    assert "the data does not match the ID card" in told[0]  # the reason, in her language


async def test_an_officer_can_put_a_registration_back_for_a_colleague(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    zoran = await enrolled(app, chat, "Зоран", counter="2")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    assert f"Пријава {ref} је враћена на чекање" in await mira.picks("Врати на чекање")
    await zoran.picks("Отвори по шифри")
    assert "Ваша одлука?" in await zoran.says(ref)


async def test_the_waiting_list_puts_todays_visits_first(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    bob = chat("bob")  # registers first, and will come without an appointment
    await bob.begins_registration()
    await bob.answers("Бобан", "Бобић", "0512981717776", "112345678", "0641112233")
    await bob.picks("Прескочи")
    await bob.picks("Крагујевац")
    await bob.picks("Долазим без заказивања")
    await bob.picks("Пошаљи пријаву")
    clock.advance(minutes=5)
    ana_ref = await register(chat("ana"), WORDS["sr-Cyrl"])  # later, for Tuesday 09:00
    clock.advance(days=1)  # Tuesday: ana's visit is today
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Пријаве на чекању")
    assert mira.last.choices[0].id == ana_ref  # today's visit before the older walk-in
    assert "Бобан Бобић" in mira.choices[1]


async def test_a_list_button_pressed_after_a_colleague_took_it_says_who_has_it(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    zoran = await enrolled(app, chat, "Зоран", counter="2")
    await mira.picks("Пријаве на чекању")
    await zoran.picks("Пријаве на чекању")
    await mira.picks(ref)
    assert "Ваша одлука?" in mira.text
    reply = await zoran.picks(ref)  # his list was shown before Мира took it
    assert f"Пријаву {ref} већ обрађује Мира" in reply


async def test_an_officer_is_not_promised_a_message_that_nobody_can_receive(
    app: App, chat: Callable[..., Chat]
) -> None:
    """Registered at the kiosk, which nobody reads later, and no chat linked since: the
    officer is asked to tell the reason in person."""
    ref = await register_at_kiosk(chat("kg:s1", "kiosk"))
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Отвори по шифри")
    await mira.says(ref)
    await mira.picks("Одбиј")
    reply = await mira.picks("подаци у пријави нису исправни")
    assert f"Пријава {ref} је одбијена" in reply
    assert "грађанин ће бити обавештен" not in reply
    assert "реците грађанину разлог лично" in reply


async def test_a_jmbg_given_outside_serbia_is_accepted_and_the_officer_is_told_where(
    app: App, chat: Callable[..., Chat]
) -> None:
    bob = chat("bob")
    await bob.begins_registration()
    await bob.answers("Бобан", "Бобић", "0512981179057", "112345678", "0641112233")  # Sarajevo
    await bob.picks("Прескочи")
    await bob.picks("Крагујевац")
    await bob.picks("Долазим без заказивања")
    await bob.picks("Пошаљи пријаву")
    ref = bob.last.reference
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Пријаве на чекању")
    await mira.picks(ref or "")
    assert "ЈМБГ: 0512981179057 (изван Србије: Босна и Херцеговина)" in mira.text
