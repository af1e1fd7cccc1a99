"""Becoming an eCitizen in Viber: the citizen, the officer, and what reaches each.

The whole app runs (the real engine, a SQLite store, the outbox worker, our aiohttp
server with the Viber callback route); people are simulated Viber users on the fake
Viber API, whose callbacks are signed and retried as Viber does.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.viber.callbacks import signature
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from tests.bot.viber.vb_support import Person, ViberBot
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk
from tests.flows.test_officer_dialogue import invite
from tests.flows.test_registration_dialogue import WORDS

REF = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b")
ACTIVATION_CODE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")
LANGUAGE_HINT = {"sr-Cyrl": "sr", "sr-Latn": "sr", "en": "en"}
SHARE = {"sr-Cyrl": "Пошаљи мој број", "sr-Latn": "Pošalji moj broj", "en": "Send my number"}
WELCOME = {"sr-Cyrl": "Добро дошли", "sr-Latn": "Dobro došli", "en": "Welcome"}


async def registers(ana: Person, language: str = "sr-Cyrl") -> str:
    """The whole registration, as Ana taps and types it; returns her reference code."""
    words = WORDS[language]
    hinted = WORDS["en" if language == "en" else "sr-Cyrl"]  # the menu in the app's language
    assert WELCOME["en" if language == "en" else "sr-Cyrl"] in await ana.opens()
    await ana.presses(hinted["register"])
    assert words["bring"] in await ana.presses(words["language"])
    assert words["consent"] in await ana.presses(words["continue"])
    assert words["first"] in (await ana.presses(words["yes"])).lower()
    for answer in ("ана-марија", "ПЕТРОВИЋ", "0512981717776", "012345678"):
        await ana.says(answer)
    assert any(SHARE[language] in label for label in ana.buttons)
    await ana.presses(SHARE[language])
    await ana.presses(words["skip"])
    await ana.presses(words["hall"])
    await ana.presses(words["day"])
    assert words["summary"] in await ana.presses("09:00")
    done = await ana.presses(words["submit"])
    assert words["done"] in done, done
    found = REF.search(done)
    assert found is not None, done
    return found.group(0)


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_citizen_registers_in_viber_in_each_language(bot: ViberBot, language: str) -> None:
    ana = bot.person("Ана", language=LANGUAGE_HINT[language], phone="+381641234567")

    ref = await registers(ana, language)

    reg = await bot.app.store.get_registration(ref)
    assert reg is not None and reg.status is RegistrationStatus.SUBMITTED
    assert reg.phone == "+381641234567"  # from the share-phone button
    assert (reg.first_name, reg.last_name) == ("Ана-Марија", "Петровић")
    assert reg.language == language
    assert ConversationKey("viber", ana.user.id) in await bot.app.store.links_of(ref)
    assert bot.api.refused == []  # Viber accepted every message we sent


async def test_the_first_message_is_the_one_welcome_viber_allows(bot: ViberBot) -> None:
    ana = bot.person("Ана", language="en")
    await ana.opens()
    [welcome] = ana.user.inbox
    assert welcome.welcome and "Welcome" in welcome.text
    assert "Become an eCitizen" in ana.buttons and "Language / Језик / Jezik" in ana.buttons
    assert not ana.user.subscribed  # and yet she got it: the answer to conversation_started

    # Viber did not say which language the app is in: the language comes first.
    bob = bot.person("Боб", language=None)
    await bob.opens()
    assert {"Српски (ћирилица)", "Srpski (latinica)", "English"} <= set(bob.buttons)


async def test_someone_elses_contact_is_refused_and_her_own_accepted(bot: ViberBot) -> None:
    ana = bot.person("Ана", phone="+381641234567")
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    for answer in ("Ана", "Петровић", "0512981717776", "012345678"):
        await ana.says(answer)

    refusal = await ana.shares_contact("+381609998877", "Драган")
    assert "Овај контакт није ваш" in refusal
    assert any("Пошаљи мој број" in label for label in ana.buttons)  # still offered
    assert "е-адреса" in await ana.presses("Пошаљи мој број")


async def test_the_desktop_app_shares_no_number_and_typing_it_works(bot: ViberBot) -> None:
    ana = bot.person("Ана", desktop=True)
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    for answer in ("Ана", "Петровић", "0512981717776", "012345678"):
        await ana.says(answer)
    assert "Укуцајте број" in await ana.presses("Пошаљи мој број")
    assert "е-адреса" in await ana.says("064 123 4567")


async def test_a_picture_a_sticker_and_a_location_get_a_polite_answer_and_the_question(
    bot: ViberBot,
) -> None:
    ana = bot.person("Ана")
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    for send, said in (
        (ana.user.send_picture, "Слике не могу да погледам"),
        (ana.user.send_sticker, "Хвала на налепници"),
        (ana.user.send_location, "Локација ми није потребна"),
        (ana.user.send_file, "Датотеке не могу да отворим"),
    ):
        answer = await ana._answer(await send())
        assert said in answer and "Како гласи ваше име?" in answer


async def test_a_replayed_callback_has_no_second_effect_and_gets_the_same_reply(
    bot: ViberBot,
) -> None:
    ana = bot.person("Ана")
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    await ana.says("Ана")
    body = json.dumps(
        {
            "event": "message",
            "timestamp": 1_764_486_000_000,
            "message_token": 4_912_661_846_655_238_145,
            "sender": {"id": ana.user.id, "language": "sr", "api_version": 10},
            "message": {"type": "text", "text": "Петровић"},
        }
    ).encode()
    first, _ = await bot.api.deliver(body)
    reply = ana.user.unread()
    again, _ = await bot.api.deliver(body)  # Viber retries: the very same callback
    replayed = ana.user.unread()

    assert first == again == 200
    assert [m.text for m in replayed] == [m.text for m in reply]
    assert "ЈМБГ" in replayed[-1].text
    # One effect: the next answer is taken as the JMBG, not as a second last name.
    assert "број личне карте" in await ana.says("0512981717776")
    conv = await bot.app.store.load_conversation(ConversationKey("viber", ana.user.id))
    assert conv is not None and conv.slots["last_name"] == "Петровић"


async def test_a_button_of_an_old_keyboard_is_no_longer_valid(bot: ViberBot) -> None:
    ana = bot.person("Ана")
    await ana.opens()
    await ana.presses("Постани еГрађанин")
    await ana.presses("ћирилица")
    keyboard_before = ana.user.inbox[-1]
    await ana.presses("Настави")
    # The same button pressed twice (a double tap): the second arrives with the old
    # keyboard's tracking data, after the step moved on.
    body = {
        "event": "message",
        "sender": {"id": ana.user.id, "language": "sr"},
        "message": {"type": "text", "text": "Настави", "tracking_data": keyboard_before.tracking},
    }
    assert await bot.api.callback(body) == 200
    answer = "\n\n".join(m.text for m in ana.user.unread())
    assert "више не важи" in answer and "пристајете" in answer


async def enrolls(bot: ViberBot, name: str, counter: str = "1") -> Person:
    officer = bot.person(name)
    await officer.opens()
    code = await invite(bot.app, name)
    assert f"Добро дошли, {name}!" in await officer.says(f"/officer {code}")
    await officer.presses("Службеник")
    await officer.presses("Мој шалтер")
    await officer.presses(f"Шалтер {counter}")
    return officer


async def news_for(bot: ViberBot, person: Person, words: str) -> str:
    """A notification from the outbox, a moment later."""
    await bot.api.wait_until(lambda: any(words in m.text for m in person.user.inbox))
    return next(m.text for m in person.user.inbox if words in m.text)


async def test_an_officer_approves_in_viber_and_the_citizen_hears_of_it(bot: ViberBot) -> None:
    ana = bot.person("Ана", phone="+381641234567")
    ref = await registers(ana)
    mira = await enrolls(bot, "Мира")

    assert "Изаберите пријаву" in await mira.presses("Пријаве на чекању")
    details = await mira.presses(ref)
    assert "0512981717776" in details and "012345678" in details
    assert "проверили личну карту" in await mira.presses("Одобри")
    assert f"Пријава {ref} је одобрена" in await mira.presses("Да")

    news = await news_for(bot, ana, "ConsentID")
    assert ref in news and "Корисничко име: ana.marija.petrovic" in news
    everything_ana_got = "\n".join(m.text for m in ana.user.inbox)
    assert ACTIVATION_CODE.search(everything_ana_got) is None  # it is only on the slip


async def test_a_visit_in_viber_reminder_check_in_and_the_officer_calls_her(
    bot: ViberBot, clock: Clock
) -> None:
    ana = bot.person("Ана")
    ref = await registers(ana)  # Tuesday 09:00
    mira = await enrolls(bot, "Мира")
    clock.advance(hours=1, minutes=5)  # Monday 09:05: the day before the visit
    bot.app.outbox.wake()
    assert ref in await news_for(bot, ana, "Подсетник: сутра вас очекујемо")

    clock.advance(hours=23, minutes=45)  # Tuesday 08:50 in Kragujevac: she is at the hall
    kiosk = Chat(bot.app, "kg:s9", channel="kiosk")
    await kiosk.command_language("sr-Cyrl")
    await kiosk.picks("Имам заказан термин")
    assert f"Пријава {ref} је потврђена" in await kiosk.says(ref)
    await news_for(bot, mira, f"Стигла је пријава {ref}")

    assert "Позван је број A001 на шалтер 1" in await mira.presses("Позови следећи број")
    await news_for(bot, ana, "Ваш број A001 је позван: шалтер 1")
    assert "Ваша одлука?" in await mira.presses("Отвори пријаву")


async def test_an_officer_looks_after_the_printers_in_viber(bot: ViberBot) -> None:
    await register_at_kiosk(Chat(bot.app, "kg:s1", channel="kiosk"))  # two slips queued
    mira = await enrolls(bot, "Мира")
    assert "Листићи на штампачима ваше сале" in await mira.presses("Штампачи и листићи")
    slips = [label for label in mira.buttons if "· file ·" in label]
    assert len(slips) == 2 and any("потврда пријаве" in label for label in slips)
    assert "одштампа поново" in await mira.presses("потврда пријаве")  # a reprint offered


async def test_the_known_signature_vector() -> None:
    token = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
    body = b'{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}'
    assert signature(token, body) == (
        "bd52434b46be1542d32bfa5e3332b757b927e183c5ef3b20a5f9877207dc55b9"
    )
