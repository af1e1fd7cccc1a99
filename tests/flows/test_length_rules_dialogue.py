"""An answer of the wrong length is told the field's own rule and how much was typed.

Never the generic "at most 100 characters": the JMBG has 13 digits, whatever was pasted.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled, invite
from tests.flows.test_registration_dialogue import WORDS

# what the citizen reads after each too long (or too short) answer, per language
SAYS = {
    "sr-Cyrl": {
        "name": "Име или презиме може имати највише 50 знакова; унели сте {n}.",
        "jmbg": "ЈМБГ има 13 цифара; унели сте {n}.",
        "id_number": "Број личне карте има 8 или 9 цифара; унели сте {n}.",
        "phone": "Мобилни број има 9 или 10 цифара, на пример 064 123 4567; овај има {n}.",
        "email": "Е-адреса може имати највише 254 знака; унели сте {n}.",
        "ref": "Шифра пријаве има 8 знакова, на пример K7M4-PX9N; унели сте {n}.",
        "ticket": "Узми редни број",
        "checkin": "Имам заказан термин",
    },
    "sr-Latn": {
        "name": "Ime ili prezime može imati najviše 50 znakova; uneli ste {n}.",
        "jmbg": "JMBG ima 13 cifara; uneli ste {n}.",
        "id_number": "Broj lične karte ima 8 ili 9 cifara; uneli ste {n}.",
        "phone": "Mobilni broj ima 9 ili 10 cifara, na primer 064 123 4567; ovaj ima {n}.",
        "email": "E-adresa može imati najviše 254 znaka; uneli ste {n}.",
        "ref": "Šifra prijave ima 8 znakova, na primer K7M4-PX9N; uneli ste {n}.",
        "ticket": "Uzmi redni broj",
        "checkin": "Imam zakazan termin",
    },
    "en": {
        "name": "A name can have at most 50 characters; you typed {n}.",
        "jmbg": "The JMBG has 13 digits; you typed {n}.",
        "id_number": "The ID card number has 8 or 9 digits; you typed {n}.",
        "phone": "A mobile number has 9 or 10 digits, for example 064 123 4567; this one has {n}.",
        "email": "An e-mail address can have at most 254 characters; you typed {n}.",
        "ref": "A reference code has 8 characters, for example K7M4-PX9N; you typed {n}.",
        "ticket": "Take a queue ticket",
        "checkin": "I have an appointment",
    },
}
# the generic answer for free text, which no field with a rule of its own gives
GENERIC = ("Одговор је предугачак", "Odgovor je predugačak", "The answer is too long")


def told(reply: str, says: str, typed: int) -> None:
    assert says.format(n=typed) in reply, reply
    assert not any(generic in reply for generic in GENERIC), reply


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_each_field_says_its_own_length_rule(
    chat: Callable[..., Chat], language: str
) -> None:
    words, says = WORDS[language], SAYS[language]
    ana = chat("ana")
    await ana.begins_registration(words)

    told(await ana.says("Ана" * 17), says["name"], 51)
    told(await ana.says("Ана" * 50), says["name"], 150)  # once cut off at 60, generically
    await ana.says("Ана")
    await ana.says("Петровић")

    told(await ana.says("051298171777612"), says["jmbg"], 15)
    told(await ana.says("0512 9817 1777"), says["jmbg"], 12)  # spaces do not count
    told(await ana.says("0512981717776" * 9), says["jmbg"], 117)  # pasted nine times
    await ana.says("0512981717776")

    told(await ana.says("0123456789"), says["id_number"], 10)
    told(await ana.says("1" * 120), says["id_number"], 120)
    await ana.says("012345678")

    told(await ana.says("064 123 45678 90"), says["phone"], 13)
    told(await ana.says("064" * 20), says["phone"], 60)  # once cut off at 40, generically
    await ana.says("064 123 4567")

    told(await ana.says("a" * 290 + "@example.rs"), says["email"], 301)
    await ana.picks(words["skip"])
    assert "Крагујевац" in ana.text or "Kragujevac" in ana.text


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_reference_code_at_the_kiosk_says_how_long_it_is(
    chat: Callable[..., Chat], language: str
) -> None:
    says = SAYS[language]
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.command_language(language)
    await kiosk.picks(says["checkin"])
    told(await kiosk.says("K7M4-PX9N-22"), says["ref"], 10)
    told(await kiosk.says("K7M4" * 40), says["ref"], 160)


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("sr-Cyrl", "Код има 12 слова и цифара, на пример ABCD-EFGH-JKMN; унели сте {n}."),
        ("en", "The code has 12 letters and digits, for example ABCD-EFGH-JKMN; you typed {n}."),
    ],
)
async def test_an_officer_code_and_a_reference_code_say_their_lengths(
    app: App, chat: Callable[..., Chat], language: str, says: str
) -> None:
    mira = chat("mira")
    await mira.says("/start")
    await mira.picks({"sr-Cyrl": "ћирилица", "en": "English"}[language])
    await mira.says("/officer")
    told(await mira.says("ABCD-EFGH-JKMN-P"), says, 13)
    told(await mira.says("ABCD" * 30), says, 120)
    told(await mira.says("ABCD-EFGH"), says, 8)

    zoran = await enrolled(app, chat, "Зоран")
    await zoran.picks("Отвори по шифри")
    told(await zoran.says("K7M4-PX9"), SAYS["sr-Cyrl"]["ref"], 7)
    code = await invite(app, "Јана")
    jana = chat("jana")
    await jana.says("/start")
    await jana.picks("ћирилица")
    await jana.says("/officer")
    assert "Добро дошли, Јана" in await jana.says(code.lower())  # a right one still works
