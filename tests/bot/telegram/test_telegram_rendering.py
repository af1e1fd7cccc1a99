"""How the engine's replies look in Telegram: keyboards, the phone button, long texts, QR.

A stand-in engine answers with the Outbound each test needs; the fake Bot API server
checks every request the way Telegram does (HTML, markup, lengths) and shows the chat.
"""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from bot.telegram.chats import ChoiceIds
from bot.telegram.render import Renderer
from flows.engine.messages import Choice, ConversationKey, Expect, Inbound, Msg, Outbound
from tests.bot.telegram.tg_support import ChannelFactory, StandInEngine, reply_to, settle
from tests.fakes.bot_api_server import FakeBotApi

HALLS = (Choice("hall:kg", Msg("telegram.command.guide")), Choice("hall:ns", Msg("choice.no")))


def asks_for_a_hall(inbound: Inbound) -> list[Outbound]:
    if inbound.choice is not None:
        return [reply_to(inbound, Msg.of("telegram.chosen", choice=inbound.choice))]
    return [reply_to(inbound, Msg("telegram.choose"), choices=HALLS, expect=Expect.CHOICE)]


async def test_choices_are_inline_buttons_and_a_press_is_answered_and_cleared(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine(asks_for_a_hall)
    channel = await channel_for(engine)
    ana = api.user("Ана")

    await ana.send_text("хоћу термин")
    question = await ana.next_message()
    assert question.text == "Изаберите:"
    assert question.inline_buttons == [("Водич кроз услугу", "hall:kg"), ("Не", "hall:ns")]

    await ana.press("Водич кроз услугу")
    answer = await ana.next_message()
    await settle(api, channel)

    assert answer.text == "Ваш избор: hall:kg"
    assert ana.toasts == [None]  # the button's spinner was stopped
    # The question now says what was chosen, in bold, and has no buttons left to press.
    assert question.text == "Изаберите:\n\nВаш избор: Водич кроз услугу"
    assert question.bold() == ["Ваш избор: Водич кроз услугу"]
    assert question.inline_buttons == []
    assert engine.inbounds[-1].choice == "hall:kg"


async def test_a_double_tap_acts_once(api: FakeBotApi, channel_for: ChannelFactory) -> None:
    engine = StandInEngine(asks_for_a_hall)
    channel = await channel_for(engine)
    ana = api.user("Ана")
    await ana.send_text("хоћу термин")
    question = await ana.next_message()

    # Both taps leave the phone before the bot has removed the keyboard.
    ana.press_inline(question, "hall:kg")
    ana.press_inline(question, "hall:ns")
    await settle(api, channel)

    assert [i.choice for i in engine.inbounds] == [None, "hall:kg"]
    assert [m.text for m in ana.inbox[1:]] == ["Ваш избор: hall:kg"]
    assert ana.toasts == [None, "Ово дугме више не важи. Одговорите на последњу поруку."]


async def test_the_phone_step_offers_a_share_my_number_button_and_typing(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    def phone_step(inbound: Inbound) -> list[Outbound]:
        if inbound.contact or inbound.text or inbound.choice:
            return [reply_to(inbound, Msg.of("telegram.chosen", choice=_arrived(inbound)))]
        return [
            reply_to(
                inbound,
                Msg("telegram.phone_placeholder"),
                expect=Expect.PHONE,
                choices=(Choice("skip", Msg("choice.no")),),
            )
        ]

    engine = StandInEngine(phone_step)
    channel = await channel_for(engine)
    ana = api.user("Ана", phone="381641234567")

    await ana.send_sticker()
    ask = await ana.next_message()
    assert ask.reply_buttons[0] == {"text": "📱 Пошаљи мој број", "request_contact": True}
    assert ask.markup is not None and ask.markup["one_time_keyboard"] is True

    await ana.press("📱 Пошаљи мој број")
    assert (await ana.next_message()).text == "Ваш избор: contact=+381641234567"
    assert ask.markup["input_field_placeholder"] == "Или укуцајте број, нпр. 064 123 4567"

    await ana.send_sticker()
    await ana.next_message()
    await ana.send_text("064 765 4321")  # typing the number works as well
    typed = await ana.next_message()
    assert typed.text == "Ваш избор: text=064 765 4321"
    assert typed.removes_keyboard  # the next step has no keyboard: the button goes away
    assert ana.reply_keyboard is None

    await ana.send_sticker()
    await ana.next_message()
    await ana.press("Не")  # the step's other choices are keyboard buttons too
    assert (await ana.next_message()).text == "Ваш избор: choice=skip"
    await settle(api, channel)


async def test_someone_elses_contact_is_refused_in_the_persons_language(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine()
    channel = await channel_for(engine)
    eva = api.user("Eva", language_code="en")
    friend = api.user("Friend")

    await eva.share_contact("381609998877", user_id=friend.id)
    refusal = await eva.next_message()
    await eva.share_contact("381609998877", user_id=None)  # a card without a Telegram user
    await settle(api, channel)

    assert refusal.text.startswith("This contact is not yours.")
    assert [m.text for m in eva.inbox] == [refusal.text, refusal.text]
    assert engine.inbounds == []  # the engine never saw someone else's number


async def test_long_texts_are_split_on_paragraphs_with_the_buttons_under_the_last(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    paragraph = " ".join(["Ово је дуг пасус & <нешто>"] * 60)  # about 1,600 characters
    texts = tuple(Msg.of("telegram.chosen", choice=f"{n}: {paragraph}") for n in range(6))

    def long_reply(inbound: Inbound) -> list[Outbound]:
        return [reply_to(inbound, *texts, choices=HALLS)]

    await channel_for(StandInEngine(long_reply))
    ana = api.user("Ана")
    await ana.send_text("све о услузи")
    first = await ana.next_message()
    messages = [first, *await ana.next_messages(2)]

    assert all(len(m.text) <= 4096 for m in messages)
    shown = "\n\n".join(m.text for m in messages)
    assert shown == "\n\n".join(f"Ваш избор: {n}: {paragraph}" for n in range(6))
    assert [bool(m.inline_buttons) for m in messages] == [False, False, True]


async def test_a_qr_code_arrives_as_a_photo_that_scans(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    def with_qr(inbound: Inbound) -> list[Outbound]:
        return [reply_to(inbound, Msg.of("telegram.chosen", choice="KG-7Q2A"), qr="KG7Q2A9F")]

    await channel_for(StandInEngine(with_qr))
    ana = api.user("Ана")
    await ana.send_text("мој тикет")
    photo = await ana.next_message()

    assert photo.text == "Ваш избор: KG-7Q2A"  # the caption
    assert photo.photo is not None
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo.photo)))
    assert [code.text for code in found] == ["KG7Q2A9F"]


async def test_a_yes_no_question_without_choices_gets_yes_and_no_buttons(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    def confirm(inbound: Inbound) -> list[Outbound]:
        if inbound.choice:
            return [reply_to(inbound, Msg.of("telegram.chosen", choice=inbound.choice))]
        return [reply_to(inbound, Msg("telegram.choose"), expect=Expect.YES_NO)]

    await channel_for(StandInEngine(confirm))
    ana = api.user("Ана")
    await ana.send_text("?")
    assert (await ana.next_message()).inline_buttons == [("Да", "yes"), ("Не", "no")]
    await ana.press("Не")
    assert (await ana.next_message()).text == "Ваш избор: no"


def test_choice_ids_longer_than_telegram_allows_travel_as_a_digest() -> None:
    long_id = "slot:" + "2026-12-01T08:20:00+01:00|" * 4
    ids = ChoiceIds()
    outbound = Outbound(
        ConversationKey("telegram", "1"),
        "en",
        (Msg("telegram.choose"),),
        choices=(Choice(long_id, Msg("choice.yes")),),
    )
    [message] = Renderer(ids).render(outbound, reply=True).messages

    assert message.markup is not None
    data = message.markup["inline_keyboard"][0][0]["callback_data"]
    assert isinstance(data, str) and len(data.encode()) <= 64
    assert ids.decode(data) == long_id


def _arrived(inbound: Inbound) -> str:
    if inbound.contact:
        return f"contact={inbound.contact}"
    if inbound.choice:
        return f"choice={inbound.choice}"
    return f"text={inbound.text}"
