"""The visit times come a page at a time: eight at most, with a way to earlier and later ones.

A whole day is 24 times (08:00 to 15:40, every 20 minutes): never 24 buttons in one message.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import BELGRADE, WORDS, register

PAGER = {
    "sr-Cyrl": {"earlier": "Раније", "later": "Касније", "from": "од 10:40 до 13:00"},
    "sr-Latn": {"earlier": "Ranije", "later": "Kasnije", "from": "od 10:40 do 13:00"},
    "en": {"earlier": "Earlier", "later": "Later", "from": "from 10:40 to 13:00"},
}
FIRST_PAGE = ["08:00", "08:20", "08:40", "09:00", "09:20", "09:40", "10:00", "10:20"]
SECOND_PAGE = ["10:40", "11:00", "11:20", "11:40", "12:00", "12:20", "12:40", "13:00"]
LAST_PAGE = ["13:20", "13:40", "14:00", "14:20", "14:40", "15:00", "15:20", "15:40"]


def times(ana: Chat) -> list[str]:
    return [c for c in ana.choices if c[:2].isdigit()]


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_the_times_of_a_day_come_eight_at_a_time(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    words, pager = WORDS[language], PAGER[language]
    ana = chat("ana")
    await ana.reaches_the_times(words)
    assert times(ana) == FIRST_PAGE
    assert len(ana.choices) == 9 and pager["later"] in ana.choices[-1]  # nothing earlier

    reply = await ana.picks(pager["later"])
    assert times(ana) == SECOND_PAGE
    assert pager["from"] in reply  # which part of the day this is
    assert pager["earlier"] in ana.choices[-2] and pager["later"] in ana.choices[-1]

    await ana.picks(pager["later"])
    assert times(ana) == LAST_PAGE
    assert pager["earlier"] in ana.choices[-1]  # nothing later
    await ana.picks(pager["earlier"])
    assert times(ana) == SECOND_PAGE

    summary = await ana.picks("12:20")
    assert words["summary"] in summary and "12:20" in summary
    await ana.picks(words["submit"])
    [reg] = await app.store.registrations_linked_to(ana.key)
    assert reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Tue 12:20"


async def test_back_from_a_later_page_goes_to_the_day_not_through_every_page(
    chat: Callable[..., Chat],
) -> None:
    ana = chat("ana")
    await ana.reaches_the_times(WORDS["sr-Cyrl"])
    await ana.picks("Касније")
    await ana.picks("Касније")
    assert "Ког дана" in await ana.says("/back")


async def test_changing_the_visit_from_the_summary_pages_another_day_from_its_start(
    chat: Callable[..., Chat],
) -> None:
    ana = chat("ana")
    await ana.reaches_the_times(WORDS["sr-Cyrl"])
    await ana.picks("Касније")
    await ana.picks("Касније")
    await ana.picks("14:40")
    await ana.picks("Промени термин")
    await ana.picks("среда")
    assert times(ana) == FIRST_PAGE  # another day: from its first times
    await ana.picks("Касније")
    assert times(ana) == SECOND_PAGE
    reply = await ana.picks("11:40")
    assert "Ваша пријава" in reply and "среда" in reply and "11:40" in reply  # straight back


async def test_moving_a_visit_pages_the_times_too(app: App, chat: Callable[..., Chat]) -> None:
    ana = chat("ana")
    ref = await register(ana, WORDS["sr-Cyrl"])  # Tuesday 09:00
    await ana.picks("Моја пријава")
    await ana.picks("Помери термин")
    await ana.picks("среда")
    assert times(ana) == FIRST_PAGE
    await ana.picks("Касније")
    await ana.picks("Касније")
    reply = await ana.picks("15:40")
    assert "среда" in reply and "15:40" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Wed 15:40"


async def test_the_kiosk_pages_today_s_times_too(chat: Callable[..., Chat]) -> None:
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
    await kiosk.picks("Прескочи")
    await kiosk.picks("понедељак")  # today, Monday 08:00: 23 times are left, 08:20 first
    assert times(kiosk) == ["08:20", "08:40", "09:00", "09:20", "09:40", "10:00", "10:20", "10:40"]
    assert "Касније" in kiosk.choices[-1]


async def test_a_day_with_few_free_times_shows_them_all_without_pages(
    chat: Callable[..., Chat], clock: Clock
) -> None:
    clock.advance(hours=6)  # Monday 14:00: five times are left today
    kiosk = chat("kg:s1", "kiosk")
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
    await kiosk.picks("Прескочи")
    await kiosk.picks("понедељак")
    assert kiosk.choices == ["14:20", "14:40", "15:00", "15:20", "15:40"]
