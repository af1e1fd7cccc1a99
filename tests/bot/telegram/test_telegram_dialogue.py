"""Becoming an eCitizen in Telegram: the citizen, the officer, and what reaches each.

The whole app runs (the real engine, a SQLite store, the outbox worker); people are
simulated Telegram users on the fake Bot API server, talking to our real channel.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from tests.bot.telegram.tg_support import Person, TelegramBot
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk
from tests.flows.test_officer_dialogue import invite
from tests.flows.test_registration_dialogue import WORDS, register

REF = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b")
ACTIVATION_CODE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


async def registers(ana: Person) -> str:
    """The whole registration, as Ana taps and types it; returns her reference code."""
    assert "Добро дошли" in await ana.starts()
    assert "Изаберите језик" in await ana.presses("Постани еГрађанин")
    assert "личну карту" in await ana.presses("Српски (ћирилица)")
    assert "Да ли пристајете" in await ana.presses("Настави")
    assert "Како гласи ваше име?" in await ana.presses("Да")
    assert "презиме" in await ana.says("ана-марија")
    assert "ЈМБГ" in await ana.says("ПЕТРОВИЋ")
    assert "број личне карте" in await ana.says("0512981717776")
    assert "мобилног телефона" in await ana.says("012345678")
    assert ana.buttons == ["📱 Пошаљи мој број"]
    assert "е-адреса" in await ana.presses("📱 Пошаљи мој број")
    assert "шалтерској сали" in await ana.presses("Прескочи")
    assert "Ког дана" in await ana.presses("Крагујевац")
    assert "У које време?" in await ana.presses("уторак")
    summary = await ana.presses("09:00")
    assert "Име: Ана-Марија" in summary and "Мобилни: 064" in summary
    done = await ana.presses("Пошаљи пријаву")
    assert "Пријава је примљена" in done
    found = REF.search(done)
    assert found is not None, done
    return found.group(0)


async def enrolls(bot: TelegramBot, name: str, counter: str = "1") -> Person:
    officer = bot.person(name)
    await officer.starts()
    code = await invite(bot.app, name)
    assert f"Добро дошли, {name}!" in await officer.says(f"/officer {code}")
    await officer.presses("Службеник")
    await officer.presses("Мој шалтер")
    await officer.presses(f"Шалтер {counter}")
    return officer


async def test_a_citizen_registers_in_telegram(bot: TelegramBot) -> None:
    ana = bot.person("Ана", language_code="sr", phone="381641234567")

    ref = await registers(ana)

    reg = await bot.app.store.get_registration(ref)
    assert reg is not None and reg.status is RegistrationStatus.SUBMITTED
    assert reg.phone == "+381641234567"  # from the shared contact
    assert (reg.first_name, reg.last_name) == ("Ана-Марија", "Петровић")
    chat = ConversationKey("telegram", str(ana.user.id))
    assert chat in await bot.app.store.links_of(ref)  # news about it come to this chat
    # The deep-link QR code is for the kiosk screen: in the chat it would point to itself.
    assert all(m.photo is None for m in ana.user.inbox)


async def test_someone_elses_contact_is_refused_and_her_own_accepted(bot: TelegramBot) -> None:
    ana = bot.person("Ана", phone="381641234567")
    friend = bot.person("Драган")
    await ana.starts()
    await ana.presses("Постани еГрађанин")
    await ana.presses("ћирилица")
    await ana.presses("Настави")
    await ana.presses("Да")
    for answer in ("Ана", "Петровић", "0512981717776", "012345678"):
        await ana.says(answer)

    refusal = await ana.shares_contact("381609998877", user_id=friend.user.id)
    assert "Овај контакт није ваш" in refusal
    assert "е-адреса" in await ana.presses("📱 Пошаљи мој број")


async def test_an_officer_approves_in_telegram_and_the_citizen_hears_of_it(
    bot: TelegramBot,
) -> None:
    ana = bot.person("Ана", phone="381641234567")
    ref = await registers(ana)
    mira = await enrolls(bot, "Мира")

    assert "Изаберите пријаву" in await mira.presses("Пријаве на чекању")
    assert any(ref in label and "Ана-Марија" in label for label in mira.buttons)
    details = await mira.presses(ref)
    assert "0512981717776" in details and "012345678" in details  # to compare with the card
    assert "проверили личну карту" in await mira.presses("Одобри")
    assert f"Пријава {ref} је одобрена" in await mira.presses("Да")

    news = await ana.user.next_message()  # from the outbox, a moment later
    assert "еГрађанин" in news.text and ref in news.text
    assert "Корисничко име: ana.marija.petrovic" in news.text
    assert "ConsentID" in news.text
    everything_ana_got = "\n".join(m.text for m in ana.user.inbox)
    assert ACTIVATION_CODE.search(everything_ana_got) is None  # it is only on the slip


async def test_two_officers_opening_the_same_registration_at_once(bot: TelegramBot) -> None:
    ana = bot.person("Ана")
    ref = await registers(ana)
    mira = await enrolls(bot, "Мира", counter="1")
    zoran = await enrolls(bot, "Зоран", counter="2")
    await mira.presses("Отвори по шифри")
    await zoran.presses("Отвори по шифри")

    await asyncio.gather(mira.user.send_text(ref), zoran.user.send_text(ref))  # same moment
    answers = await asyncio.gather(mira._answer(), zoran._answer())

    winners = [a for a in answers if "Ваша одлука?" in a]
    losers = [a for a in answers if "већ обрађује" in a]
    assert len(winners) == 1 and len(losers) == 1, answers
    holder = "Мира" if winners[0] == answers[0] else "Зоран"
    assert f"Пријаву {ref} већ обрађује {holder}" in losers[0]


async def test_a_kiosk_registration_is_followed_in_telegram_through_the_deep_link(
    bot: TelegramBot,
) -> None:
    at_the_kiosk = Chat(bot.app, "kg:s1", channel="kiosk")
    ref = await register_at_kiosk(at_the_kiosk)
    link = at_the_kiosk.last.qr  # the kiosk shows it as a QR code to scan with the phone
    assert link is not None and link.startswith("https://t.me/ecitizen_test_bot?start=")
    payload = link.split("start=", 1)[1]
    assert len(payload) <= 64

    ana = bot.person("Ана")
    linked = await ana.starts(payload)
    assert f"Пријава {ref} је повезана са овим разговором" in linked

    eva = bot.person("Ева", language_code="en")
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    assert "This link is not valid or has expired" in await eva.starts(forged)

    mira = await enrolls(bot, "Мира")
    await mira.presses("Отвори по шифри")
    await mira.says(ref)
    await mira.presses("Одобри")
    await mira.presses("Да")
    news = await ana.user.next_message()
    assert f"{ref}" in news.text and "ConsentID" in news.text
    assert eva.user.inbox[-1].text.startswith("This link")  # Eva got nothing about it


async def test_the_first_message_language_code_picks_the_language(bot: TelegramBot) -> None:
    serbian = bot.person("Милан", language_code="sr")
    english = bot.person("John", language_code="en")
    german = bot.person("Jonas", language_code="de")

    assert "Добро дошли!" in await serbian.starts()
    assert "Welcome!" in await english.starts()
    assert "Welcome!" in await german.starts()  # not Serbian: English
    assert "Become an eCitizen" in english.buttons


async def test_a_check_in_at_the_kiosk_reaches_the_officer_in_telegram(bot: TelegramBot) -> None:
    mira = await enrolls(bot, "Мира")
    ana = Chat(bot.app, "ana", channel="terminal")
    ref = await register(ana, WORDS["sr-Cyrl"])
    kiosk = Chat(bot.app, "kg:s1", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    assert "Добро дошли! Пријава" in await kiosk.says(ref)

    alert = await mira.user.next_message()
    assert f"Стигла је пријава {ref}" in alert.text


async def test_reminded_the_day_before_then_called_to_the_counter_in_telegram(
    bot: TelegramBot, clock: Clock
) -> None:
    ana = bot.person("Ана")
    ref = await registers(ana)  # Tuesday 09:00
    mira = await enrolls(bot, "Мира")
    clock.advance(hours=1, minutes=5)  # Monday 09:05: the day before the visit
    reminder = await ana.user.next_message()
    assert "Подсетник: сутра вас очекујемо" in reminder.text and ref in reminder.text

    clock.advance(hours=23, minutes=45)  # Tuesday 08:50 in Kragujevac: she is at the hall
    kiosk = Chat(bot.app, "kg:s9", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    assert f"Пријава {ref} је потврђена" in await kiosk.says(ref)
    assert f"Стигла је пријава {ref}" in (await mira.user.next_message()).text

    assert "Позван је број A001 на шалтер 1" in await mira.presses("Позови следећи број")
    assert "Ваш број A001 је позван: шалтер 1" in (await ana.user.next_message()).text
    assert "Ваша одлука?" in await mira.presses("Отвори пријаву")


async def test_after_a_language_change_the_chosen_line_is_in_the_new_language(
    bot: TelegramBot,
) -> None:
    ana = bot.person("Ана", language_code="sr")
    await ana.starts()
    await ana.presses("Језик / Jezik / Language")
    assert "English" in ana.buttons
    await ana.presses("English")
    picker = next(m for m in ana.user.inbox if "English" in m.text and m.edits)
    assert "Your choice: English" in picker.text and "Ваш избор" not in picker.text


async def test_an_officer_enrolling_in_a_fresh_chat_is_asked_the_language_once(
    bot: TelegramBot,
) -> None:
    """With a language in her Telegram settings it is taken from there (see `enrolls`)."""
    mira = bot.person("Мира", language_code=None)  # no language in her Telegram settings
    code = await invite(bot.app, "Мира")
    welcome = await mira.says(f"/officer {code}")
    assert "Добро дошли, Мира!" in welcome
    assert "English" in mira.buttons  # asked now, once
    menu = await mira.presses("Српски (ћирилица)")
    assert "Службеник: радни простор" in mira.buttons, menu
    assert "Радни простор службеника" in await mira.presses("Службеник")
    assert "Пријаве на чекању" in mira.buttons


async def test_a_slip_scanned_in_telegram_is_cancelled_with_the_shared_contact(
    bot: TelegramBot, clock: Clock
) -> None:
    """Telegram vouches for the sender's own number: the button proves the registration is hers."""
    kiosk = Chat(bot.app, "kg:s1", channel="kiosk")
    ref = await register_at_kiosk(kiosk)  # with 064 123 4567
    payload = bot.app.env.links.sign(ref, clock() + timedelta(days=30))
    ana = bot.person("Ана", language_code="sr", phone="381641234567")
    assert f"Пријава {ref}" in await ana.says(f"/start {payload}")
    assert "број мобилног телефона који је наведен у пријави" in await ana.presses("Откажи пријаву")
    assert "📱 Пошаљи мој број" in ana.buttons
    assert "Да ли сигурно желите да откажете" in await ana.presses("📱 Пошаљи мој број")
    assert f"Пријава {ref} је отказана" in await ana.presses("Да")
