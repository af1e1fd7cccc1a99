"""Every other path of the registration: refusals, bad input, changes, the way out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.terminal import parse_line, render_outbound
from ecitizen.app import App
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import REF, WORDS

CYR = WORDS["sr-Cyrl"]


async def start(ana: Chat) -> None:
    await ana.says("/start")
    await ana.picks(CYR["language"])
    await ana.picks(CYR["register"])
    await ana.picks(CYR["continue"])


async def up_to_jmbg(ana: Chat) -> None:
    await start(ana)
    await ana.picks("Да")
    await ana.says("Ана")
    await ana.says("Петровић")


async def test_declining_consent_ends_politely_and_keeps_nothing(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await start(ana)
    reply = await ana.picks("Не")
    assert "Разумемо. Ништа није сачувано" in reply
    assert "Шта желите да урадите?" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.slots.get("first_name") is None


async def test_a_fifteen_year_old_is_told_kindly_and_nothing_is_kept(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    # born 01.01.2012: fifteen on the test's date (30.11.2026)
    reply = await ana.says(young_jmbg())
    assert "од 16 година" in reply
    assert "Радујемо се" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and not conv.flow and "first_name" not in conv.slots


def young_jmbg() -> str:
    first12 = "010101272001"  # 01.01.2012, region 72, serial 001
    weights = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    r = sum(int(d) * w for d, w in zip(first12, weights, strict=True)) % 11
    assert r != 1
    return first12 + str(0 if r == 0 else 11 - r)


async def test_each_jmbg_mistake_is_named_and_earlier_answers_are_kept(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    assert "ЈМБГ има 13 цифара; унели сте 5." in await ana.says("12345")
    assert "само цифре" in await ana.says("05129817177AB")
    assert "исправан датум" in await ana.says("3102981717771")
    assert "Контролна цифра" in await ana.says("0512981717775")
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.slots["first_name"] == "Ана"


async def test_after_three_failures_the_field_is_explained_and_a_way_out_offered(
    chat: Callable[..., Chat],
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    await ana.says("1")
    await ana.says("2")
    reply = await ana.says("3")
    assert "Прве цифре су датум рођења" in reply  # the field explained again
    assert "Помоћ" in ana.choices and "Прекини" in ana.choices
    reply = await ana.picks("Прекини")
    assert "Ништа од онога што сте унели није сачувано" in reply


async def test_unexpected_input_gets_a_polite_answer_and_loses_nothing(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    assert "само текст" in await ana.sends_sticker()
    assert "празан" in await ana.says("   ")
    assert "ЈМБГ има 13 цифара; унели сте 10000." in await ana.says("1" * 10_000)
    assert "контролне знакове" in await ana.says("0512981\x07717776")
    assert "контролне знакове" in await ana.says("\u202e6777171892150")
    assert "ЈМБГ" in ana.text  # still asked for the same field
    reply = await ana.says("0512981717776")
    assert "личне карте" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None
    assert (conv.slots["first_name"], conv.slots["last_name"]) == ("Ана", "Петровић")


async def test_a_name_mixing_scripts_in_one_word_is_refused(chat: Callable[..., Chat]) -> None:
    ana = chat()
    await start(ana)
    await ana.picks("Да")
    assert "мешано ћирилицом и латиницом" in await ana.says("Аna")


async def test_changing_the_hall_from_the_summary_asks_the_visit_again_then_returns(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    for answer in ("0512981717776", "012345678", "064 123 4567"):
        await ana.says(answer)
    await ana.says("ana@primer.rs")
    await ana.picks("Крагујевац")
    await ana.picks("уторак")
    await ana.picks("09:00")
    await ana.picks("Промени мобилни")
    await ana.says("065 555 0000")
    assert "Ваша пријава" in ana.text and "065 555 0000" in ana.text  # straight back
    await ana.picks("Промени шалтер")
    await ana.picks("Нови Сад")
    assert "Ког дана" in ana.text  # the visit belonged to the old hall
    await ana.picks("Долазим без заказивања")
    assert "Ваша пријава" in ana.text and "Нови Сад" in ana.text
    await ana.picks("Пошаљи пријаву")
    ref = REF.search(ana.text)
    assert ref
    reg = await app.store.get_registration(ref.group(0))
    assert reg is not None and reg.hall == "ns" and reg.visit_at is None
    assert reg.phone == "+381655550000" and reg.email == "ana@primer.rs"


async def test_back_returns_to_the_previous_question_keeping_the_answer(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    reply = await ana.says("/back")
    assert "презиме" in reply
    reply = await ana.says("Јовановић")
    assert "ЈМБГ" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.slots["last_name"] == "Јовановић"
    assert conv.slots["first_name"] == "Ана"


async def test_help_explains_the_current_step_and_asks_it_again(chat: Callable[..., Chat]) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    reply = await ana.says("/help")
    assert "13 цифара" in reply and "Упишите свој ЈМБГ" in reply


async def test_restart_starts_over_and_forgets_the_answers(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    reply = await ana.says("/restart")
    assert "Шта желите да урадите?" in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and not conv.flow and "first_name" not in conv.slots


async def test_language_can_change_mid_flow_without_losing_answers(
    chat: Callable[..., Chat],
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    await ana.says("/language")
    reply = await ana.picks("English")
    assert "personal number (JMBG" in reply
    reply = await ana.says("0512981717776")
    assert "ID card number" in reply


async def test_the_same_message_delivered_twice_is_taken_once_and_answered_the_same(
    app: App, chat: Callable[..., Chat]
) -> None:
    """A platform redelivers when our answer may have been lost (a crash after the commit):
    the person must see their next question, and the answer is the one recorded."""
    ana = chat()
    await up_to_jmbg(ana)
    inbound = parse_line("0512981717776", ana.key, message_id="dup-1")
    first = await app.handle(inbound)
    again = await app.handle(inbound)
    assert first and again == first
    assert "личне карте" in render_outbound(first[0])
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.state == "id_number"
    # the conversation moved on once: the next answer is taken at the next step
    assert "телефон" in await ana.says("012345678")


async def test_two_messages_at_once_from_one_person_are_both_taken_in_turn(
    app: App, chat: Callable[..., Chat]
) -> None:
    ana = chat()
    await start(ana)
    await ana.picks("Да")
    replies = await asyncio.gather(ana.says("Ана"), ana.says("Марија"))
    assert sum("презиме" in r for r in replies) == 1 and sum("ЈМБГ" in r for r in replies) == 1
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.state == "jmbg"
    assert {conv.slots["first_name"], conv.slots["last_name"]} == {"Ана", "Марија"}


async def test_when_the_database_is_away_the_citizen_gets_an_apology_and_loses_nothing(
    app: App, chat: Callable[..., Chat], make_app: Callable[..., Any]
) -> None:
    ana = chat()
    await up_to_jmbg(ana)
    await app.store.close()  # the database goes away
    reply = await ana.says("0512981717776")
    assert "нешто је пошло наопако" in reply and "није изгубљено" in reply
    again = await make_app()  # ... and comes back
    ana.app = again
    assert "личне карте" in await ana.says("0512981717776")
    await again.close()
