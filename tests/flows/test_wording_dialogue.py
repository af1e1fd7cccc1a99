"""Words as people meet them: one name for the queue ticket, the hall by its name, officers
spoken to as officers, and a wait estimate that does not promise what it cannot know."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.web.render import render_outbound
from ecitizen.app import App
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled, invite
from tests.flows.test_registration_dialogue import WORDS, register

LANGUAGES = ["sr-Cyrl", "sr-Latn", "en"]
KIOSK = {
    "sr-Cyrl": {"ticket": "Узми редни број", "service": "Помоћ у коришћењу портала"},
    "sr-Latn": {"ticket": "Uzmi redni broj", "service": "Pomoć u korišćenju portala"},
    "en": {"ticket": "Take a queue ticket", "service": "Help with using the portal"},
}
TICKET = {
    "sr-Cyrl": "Ваш редни број је {}.",
    "sr-Latn": "Vaš redni broj je {}.",
    "en": "Your ticket is {}.",
}
WAIT = {
    "sr-Cyrl": {"few": "чекање: неколико минута.", "about": "чекање: око {} мин."},
    "sr-Latn": {"few": "čekanje: nekoliko minuta.", "about": "čekanje: oko {} min."},
    "en": {"few": "Estimated wait: a few minutes.", "about": "Estimated wait: about {} min."},
}


async def takes_ticket(kiosk: Chat, language: str) -> str:
    await kiosk.command_language(language)
    await kiosk.picks(KIOSK[language]["ticket"])
    return await kiosk.picks(KIOSK[language]["service"])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_queue_ticket_has_one_name(chat: Callable[..., Chat], language: str) -> None:
    reply = await takes_ticket(chat("kg:s1", "kiosk"), language)
    assert TICKET[language].format("B001") in reply
    for synonym in ("queue number", "ticket number", "број у реду", "broj u redu"):
        assert synonym not in reply.lower()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_wait_is_a_few_minutes_until_the_hall_has_a_pace_worth_trusting(
    app: App, chat: Callable[..., Chat], clock: Clock, language: str
) -> None:
    wait = WAIT[language]
    first = await takes_ticket(chat("kg:k0", "kiosk"), language)
    assert wait["few"] in first  # nobody ahead: never "about 0 min"

    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Позови следећи број")
    clock.advance(minutes=1)
    await mira.picks("Услужен")  # one quick "served" is no pace yet
    for n in range(1, 6):
        reply = await takes_ticket(chat(f"kg:k{n}", "kiosk"), language)
    assert wait["about"].format(20) in reply  # 4 ahead, 10 min each, at 2 counters

    for _ in range(5):  # five more, a minute each: now a pace, but none is that quick
        await mira.picks("Позови следећи број")
        clock.advance(minutes=1)
        await mira.picks("Услужен")
    for n in range(6, 13):
        reply = await takes_ticket(chat(f"kg:k{n}", "kiosk"), language)
    assert wait["about"].format(9) in reply  # 6 ahead, at least 3 min each, at 2 counters


@pytest.mark.parametrize(
    ("language", "welcome"),
    [
        ("sr-Cyrl", "Уписани сте као службеник у шалтерској сали „Крагујевац, Градска управа“."),
        ("sr-Latn", "Upisani ste kao službenik u šalterskoj sali „Kragujevac, Gradska uprava“."),
        ("en", "You are enrolled as an officer at Kragujevac City Administration."),
    ],
)
async def test_the_officer_s_welcome_names_the_hall(
    app: App, chat: Callable[..., Chat], language: str, welcome: str
) -> None:
    mira = chat("mira")
    await mira.says("/start")
    await mira.picks(WORDS[language]["language"])
    reply = await mira.says(f"/officer {await invite(app, 'Мира')}")
    assert welcome in reply
    assert " kg" not in reply


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "sr-Cyrl",
            {
                "menu": "Службеник",
                "waiting": "Пријаве на чекању",
                "booked": "још није у сали",
                "walk_in": "без заказивања",
                "citizen": ("ваш долазак", "Долазим без заказивања", "стигли сте"),
            },
        ),
        (
            "en",
            {
                "menu": "Officer",
                "waiting": "Waiting registrations",
                "booked": "not arrived yet",
                "walk_in": "no appointment",
                "citizen": ("your visit", "I will come", "you have arrived"),
            },
        ),
    ],
)
async def test_the_officer_s_waiting_list_speaks_to_the_officer(
    app: App, chat: Callable[..., Chat], language: str, words: dict[str, str]
) -> None:
    booked = await register(chat("ana"), WORDS["sr-Cyrl"])
    bob = chat("bob")
    await bob.begins_registration()
    await bob.answers("Бобан", "Бобић", "0512981717776", "112345678", "0641112233")
    await bob.picks("Прескочи")
    await bob.picks("Крагујевац")
    await bob.picks("Долазим без заказивања")
    await bob.picks("Пошаљи пријаву")

    mira = chat("mira")
    await mira.says("/start")
    await mira.picks(WORDS[language]["language"])
    await mira.says(f"/officer {await invite(app, 'Мира')}")
    await mira.picks(words["menu"])
    listing = await mira.picks(words["waiting"])
    [ana_item] = [c for c in mira.choices if booked in c]
    [bob_item] = [c for c in mira.choices if "Бобан" in c or "Boban" in c]
    assert words["booked"] in ana_item
    assert words["walk_in"] in bob_item
    for citizen_words in words["citizen"]:
        assert citizen_words not in listing
    review = await mira.picks("Бобан" if language == "sr-Cyrl" else "Boban")
    assert words["walk_in"] in review and words["citizen"][1] not in review


@pytest.mark.parametrize(
    ("language", "ticket", "reference"),
    [("sr-Cyrl", "Редни број", "Шифра пријаве"), ("en", "Ticket", "Reference code")],
)
async def test_officer_screens_in_the_web_chat_carry_officer_labels(
    app: App, chat: Callable[..., Chat], language: str, ticket: str, reference: str
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    await takes_ticket(chat("kg:k1", "kiosk"), "sr-Cyrl")
    mira = chat("mira", "web")
    await mira.says("/start")
    await mira.picks(WORDS[language]["language"])
    await mira.says(f"/officer {await invite(app, 'Мира')}")
    await mira.picks("Службеник" if language == "sr-Cyrl" else "Officer")
    await mira.picks("Мој шалтер" if language == "sr-Cyrl" else "My counter")
    await mira.picks("1")
    await mira.picks("Позови следећи" if language == "sr-Cyrl" else "Call the next")
    shown = render_outbound(mira.last)
    assert shown["ticket"] == "B001" and shown["ticket_label"] == ticket
    await mira.picks("Назад" if language == "sr-Cyrl" else "Back")
    await mira.picks("Отвори по шифри" if language == "sr-Cyrl" else "Open by reference")
    await mira.says(ref)
    shown = render_outbound(mira.last)
    assert shown["reference"] == ref and shown["reference_label"] == reference


@pytest.mark.parametrize(
    ("language", "change_hall", "counter_word"),
    [
        ("sr-Cyrl", "Промени шалтерску салу", "Промени шалтер"),
        ("sr-Latn", "Promeni šaltersku salu", "Promeni šalter"),
        ("en", "Change counter hall", "Change counter"),
    ],
)
async def test_the_summary_changes_the_hall_not_the_counter(
    chat: Callable[..., Chat], language: str, change_hall: str, counter_word: str
) -> None:
    words = WORDS[language]
    ana = chat("ana")
    summary = await ana.reaches_the_summary(words)
    assert change_hall in ana.choices
    assert counter_word not in [c for c in ana.choices if c != change_hall]
    assert "алтер:" not in summary and "alter:" not in summary  # the hall line names a hall


async def test_in_latin_each_language_is_named_once(chat: Callable[..., Chat]) -> None:
    """The language button names each script's word ("Језик / Jezik / Language"); in Latin
    letters the first two are one word, said once."""
    ana = chat("ana")
    await ana.says("/start")
    greeting = await ana.picks("latinica")
    assert "Jezik / Language" in ana.choices
    assert "Jezik / Jezik" not in greeting
    asked = await ana.says("/language")
    assert "Izaberite jezik i pismo. / Choose your language." in asked
    assert "pismo. / Izaberite" not in asked
    await ana.picks("English")
    assert "Language / Језик / Jezik" in ana.choices  # other languages keep all three
