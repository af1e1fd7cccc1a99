"""After registering: the status, moving the visit, cancelling; the guide; deep links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ecitizen.app import App
from flows.conversations.guide import guide
from flows.domain.lifecycle import RegistrationStatus
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import BELGRADE, WORDS, register
from tests.inbox import Inbox


async def test_the_status_shows_the_visit_and_the_visit_can_be_moved(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    ref = await register(ana, WORDS["sr-Cyrl"])
    reply = await ana.picks("Моја пријава")
    assert f"Пријава {ref}" in reply and "чека ваш долазак" in reply
    await ana.picks("Помери термин")
    await ana.picks("среда")
    reply = await ana.picks("10:00")
    assert "среда" in reply and "10:00" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.visit_at is not None
    assert reg.visit_at.astimezone(BELGRADE).strftime("%a %H:%M") == "Wed 10:00"


async def test_a_citizen_cancels_after_confirming(app: App, chat: Callable[..., Chat]) -> None:
    ana = chat()
    ref = await register(ana, WORDS["sr-Cyrl"])
    await ana.picks("Моја пријава")
    await ana.picks("Откажи пријаву")
    await ana.picks("Не")
    assert "чека ваш долазак" in ana.text  # nothing happened
    await ana.picks("Откажи пријаву")
    reply = await ana.picks("Да")
    assert f"Пријава {ref} је отказана" in reply
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.CANCELLED


async def test_someone_without_a_registration_is_told_so(chat: Callable[..., Chat]) -> None:
    ana = chat()
    await ana.says("/start")
    await ana.picks("English")
    assert "no registration linked" in await ana.picks("My registration")


async def test_a_full_slot_is_not_offered_and_a_race_for_the_last_place_is_answered(
    app: App, chat: Callable[..., Chat]
) -> None:
    first, second, third = chat("a"), chat("b"), chat("c")
    await register(first, WORDS["sr-Cyrl"])
    await register(second, WORDS["sr-Cyrl"])  # capacity 2: Tuesday 09:00 is now full
    await third.begins_registration()
    await third.answers("Мила", "Мирић", "0512981717776", "012345679", "0641112222")
    await third.picks("Прескочи")
    await third.picks("Крагујевац")
    await third.picks("уторак")
    assert "09:00" not in third.choices and "09:20" in third.choices


async def test_the_reminder_the_day_before_reaches_the_chat(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ana = chat()
    ref = await register(ana, WORDS["sr-Cyrl"])  # Tuesday 09:00; now is Monday 08:00
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    while await app.outbox.run_once():
        pass
    assert inbox.received == []  # not yet: it is due on Monday 09:00
    clock.advance(hours=1, minutes=1)
    while await app.outbox.run_once():
        pass
    texts = inbox.texts_for("ana")
    assert len(texts) == 1 and "Подсетник: сутра вас очекујемо" in texts[0] and ref in texts[0]


async def test_the_guide_lists_life_events_and_what_each_procedure_needs(
    chat: Callable[..., Chat],
) -> None:
    ana = chat()
    await ana.says("/start")
    await ana.picks("English")
    await ana.picks("What can I do as an eCitizen?")
    assert {"Children, family", "Documents", "eMailbox, fees"} <= set(ana.choices)
    await ana.picks("Children, family")
    await ana.picks("Kindergarten")
    assert "What you need" in ana.text and "an eCitizen account is enough" in ana.text
    assert "Source: http" in ana.text
    await ana.picks("Another topic")
    await ana.picks("School and studies")
    await ana.picks("first grade")
    assert "medical examination" in ana.text
    await ana.picks("Done")
    assert "What would you like to do?" in ana.text


def test_the_guide_has_at_least_sixty_sourced_procedures_in_both_languages() -> None:
    g = guide()
    assert len(g.procedures) >= 60
    for p in g.procedures:
        texts = (p.title, p.title_en, p.summary, p.summary_en, p.who, p.who_en, p.needs)
        assert all(texts) and p.needs_en and p.where and p.where_en, p.id
        assert p.source.startswith(("https://", "http://")), p.id
    assert {"child", "documents", "mailbox"} <= {c.id for c in g.categories}
    assert all(g.in_category(c.id) for c in g.categories)  # no empty topic


async def test_a_deep_link_from_the_kiosk_links_the_registration_to_the_chat(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    kiosk = chat("kg:s1", channel="kiosk")
    ref = await register_at_kiosk(kiosk)
    payload = app.env.links.sign(ref, clock() + timedelta(days=30))
    assert len(payload) <= 64
    ana = chat("ana-phone")
    reply = await ana.says(f"/start {payload}")
    assert f"Пријава {ref} је повезана" in reply and "стигли сте, чекате на ред" in reply
    assert [k.user_key for k in await app.store.links_of(ref)] == ["ana-phone"]
    forged = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    assert "није исправна или је истекла" in await chat("mallory").says(f"/start {forged}")
    clock.advance(days=40)
    assert "истекла" in await chat("late").says(f"/start {payload}")


async def register_at_kiosk(kiosk: Chat, ticket: str = "A001") -> str:
    await kiosk.begins_registration()
    await kiosk.answers("Ана", "Петровић", "0512981717776", "012345678", "0641234567")
    await kiosk.picks("Прескочи")
    assert "Ког дана" in kiosk.text  # the kiosk knows its hall: not asked
    await kiosk.picks("Долазим без заказивања")
    await kiosk.picks("Пошаљи пријаву")
    assert kiosk.last.reference is not None and kiosk.last.end
    assert kiosk.last.ticket == ticket  # here now: checked in, in the queue
    return kiosk.last.reference


async def test_someone_who_photographed_a_slip_follows_it_but_cannot_cancel_it(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    """The slip's code is for the person it was printed for; anyone can photograph it."""
    ref = await register_at_kiosk(chat("kg:s1", channel="kiosk"))  # Ana's phone: 064 123 4567
    payload = app.env.links.sign(ref, clock() + timedelta(days=30))
    marko = chat("marko-phone")
    await marko.says(f"/start {payload}")
    assert f"Пријава {ref}" in marko.text  # he may see how it stands
    reply = await marko.picks("Откажи пријаву")
    assert "упишите број мобилног телефона који је наведен у пријави" in reply
    assert "Преостало покушаја: 2" in await marko.says("064 999 8877")
    assert "Преостало покушаја: 1" in await marko.says("065 111 2233")
    reply = await marko.says("060 123 4567")
    assert "не може променити одавде" in reply and "шалтерску салу Крагујевац" in reply
    await marko.says("/start")  # starting over gives no new tries
    await marko.picks("Моја пријава")
    reply = await marko.picks("Откажи пријаву")
    assert "не може променити одавде" in await marko.says("064 555 6677")
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.CHECKED_IN


async def test_the_owner_scanning_her_slip_cancels_after_giving_her_number(
    app: App, chat: Callable[..., Chat], clock: Clock
) -> None:
    ref = await register_at_kiosk(chat("kg:s1", channel="kiosk"))
    payload = app.env.links.sign(ref, clock() + timedelta(days=30))
    ana = chat("ana-phone")
    await ana.says(f"/start {payload}")
    await ana.picks("Откажи пријаву")
    assert "Да ли сигурно желите да откажете" in await ana.says("064 123 4567")
    reply = await ana.picks("Да")
    assert f"Пријава {ref} је отказана" in reply
    await ana.picks("Моја пријава")  # the number is asked once
    assert "Стање: отказана" in ana.text and "Термин" not in ana.text  # no visit to speak of
    reg = await app.store.get_registration(ref)
    assert reg is not None and reg.status == RegistrationStatus.CANCELLED
