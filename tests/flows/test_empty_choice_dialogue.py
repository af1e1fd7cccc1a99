"""The last place of a day goes to someone else: the citizen is never left with nothing to pick.

It is Monday 15:21 in Kragujevac; the only visit left today is at 15:40, and one of its two
places is already booked. Two people go for the last place at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import BELGRADE, REF, WORDS, register

# besides the main path's words: the days, the status flow, and what is said on the way back
MORE = {
    "sr-Cyrl": {
        "monday": "понедељак",
        "tuesday": "уторак",
        "wednesday": "среда",
        "status": "Моја пријава",
        "move": "Помери термин",
        "taken": "Тај термин је управо попуњен",
        "day_full": "За понедељак 30.11. више нема слободних термина",
        "which_day": "Ког дана",
        "moved": "је сада: среда",
    },
    "sr-Latn": {
        "monday": "ponedeljak",
        "tuesday": "utorak",
        "wednesday": "sreda",
        "status": "Moja prijava",
        "move": "Pomeri termin",
        "taken": "Taj termin je upravo popunjen",
        "day_full": "Za ponedeljak 30.11. više nema slobodnih termina",
        "which_day": "Kog dana",
        "moved": "je sada: sreda",
    },
    "en": {
        "monday": "Monday",
        "tuesday": "Tuesday",
        "wednesday": "Wednesday",
        "status": "My registration",
        "move": "Move the visit",
        "taken": "That slot has just been taken",
        "day_full": "Monday 30.11. has no free time left",
        "which_day": "Which day",
        "moved": "is now: Wednesday",
    },
}
LANGUAGES = list(MORE)


async def up_to_the_summary(
    person: Chat, language: str, answers: tuple[str, ...], day: str, time: str
) -> None:
    words = WORDS[language]
    await person.begins_registration(words)
    await person.answers(*answers)
    await person.picks(words["skip"])
    await person.picks(words["hall"])
    await person.picks(day)
    await person.picks(time)
    assert words["summary"] in person.text


async def books_monday_1540(person: Chat, answers: tuple[str, ...]) -> None:
    await up_to_the_summary(person, "sr-Cyrl", answers, "понедељак", "15:40")
    await person.picks(WORDS["sr-Cyrl"]["submit"])
    assert WORDS["sr-Cyrl"]["done"] in person.text


EARLY = ("Петар", "Петровић", "0512981717776", "012345670", "0641110000")
RIVAL = ("Јован", "Јовић", "0512981717776", "012345671", "0641110001")
MILA = ("Мила", "Мирић", "0512981717776", "012345679", "0641112222")


def today_is_offered(person: Chat) -> bool:
    return any("30.11." in label for label in person.choices)  # next Monday stays


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_last_place_of_a_day_taken_meanwhile_brings_back_the_days(
    app: App, chat: Callable[..., Chat], clock: Clock, language: str
) -> None:
    clock.advance(hours=7, minutes=21)  # Monday 15:21
    await books_monday_1540(chat("early"), EARLY)
    rival, mila = chat("rival"), chat("mila")
    await up_to_the_summary(rival, "sr-Cyrl", RIVAL, "понедељак", "15:40")
    words, more = WORDS[language], MORE[language]
    await up_to_the_summary(mila, language, MILA, more["monday"], "15:40")
    await rival.picks(WORDS["sr-Cyrl"]["submit"])  # the last place of Monday is gone

    reply = await mila.picks(words["submit"])

    assert more["taken"] in reply and more["day_full"] in reply
    assert more["which_day"] in reply  # asked for the day again, with something to pick
    assert mila.last.screen == "registration.visit_day"
    assert not today_is_offered(mila)
    assert any(more["tuesday"] in label for label in mila.choices)
    await mila.picks(more["tuesday"])
    await mila.picks("09:00")
    assert words["summary"] in mila.text
    assert "0512981717776" in mila.text and "012345679" in mila.text  # nothing typed again
    await mila.picks(words["submit"])
    assert words["done"] in mila.text
    match = REF.search(mila.text)
    assert match, mila.text
    reg = await app.store.get_registration(match.group(0))
    assert reg is not None and reg.language == language
    assert (reg.first_name, reg.last_name, reg.id_number) == ("Мила", "Мирић", "012345679")
    assert reg.jmbg == "0512981717776" and reg.phone == "+381641112222"
    assert reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Tue 09:00"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_moving_to_the_last_place_of_a_day_taken_meanwhile_brings_back_the_days(
    app: App, chat: Callable[..., Chat], clock: Clock, language: str
) -> None:
    clock.advance(hours=7, minutes=21)  # Monday 15:21
    await books_monday_1540(chat("early"), EARLY)
    ana = chat("ana")
    ref = await register(ana, WORDS[language])  # Tuesday 09:00
    more = MORE[language]
    await ana.picks(more["status"])
    await ana.picks(more["move"])
    await ana.picks(more["monday"])
    assert "15:40" in ana.choices
    await books_monday_1540(chat("rival"), RIVAL)  # meanwhile, the last place of Monday

    reply = await ana.picks("15:40")

    assert more["taken"] in reply and more["day_full"] in reply and more["which_day"] in reply
    assert ana.last.screen == "status.visit_day"
    assert not today_is_offered(ana)
    await ana.picks(more["wednesday"])
    reply = await ana.picks("10:00")
    assert ref in reply and more["moved"] in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Wed 10:00"
    assert (reg.first_name, reg.jmbg, reg.phone) == ("Ана-Марија", "0512981717776", "+381641234567")
