"""The Telegram transport: start-up, what an update becomes, per-chat order.

The real python-telegram-bot client in our process talks to the fake Bot API server;
a stand-in engine shows what reached it.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram import InvalidTelegramToken, TelegramChannel, TelegramSettingsError
from flows.engine.messages import Choice, Command, Inbound, Msg, Outbound
from tests.bot.telegram.tg_support import ChannelFactory, StandInEngine, reply_to, settle
from tests.fakes.bot_api_server import FakeBotApi


async def test_start_checks_the_token_and_publishes_the_menus_per_language(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    channel = await channel_for(StandInEngine())

    assert channel.username == "ecitizen_test_bot"
    assert (
        channel.deep_link("rAB12CD34_1a2_x")
        == "https://t.me/ecitizen_test_bot?start=rAB12CD34_1a2_x"
    )
    serbian = {c["command"]: c["description"] for c in api.commands[("default", "sr")]}
    default = {c["command"]: c["description"] for c in api.commands[("default", "")]}
    assert serbian["status"] == "Стање моје пријаве"
    assert default["status"] == "Status of my registration"
    assert list(serbian) == list(default)
    assert {"start", "help", "cancel", "back", "language", "restart", "status", "guide"} <= set(
        serbian
    )


async def test_an_invalid_token_is_a_clear_error_at_start_up(api: FakeBotApi) -> None:
    wrong = "123456789:AAWrongTokenWrongTokenWrongToken00"
    channel = TelegramChannel(StandInEngine(), wrong, api_url=api.url)

    with pytest.raises(InvalidTelegramToken) as refused:
        await channel.start()

    message = str(refused.value)
    assert "refused the bot token" in message and "@BotFather" in message
    assert wrong not in message  # the token is a secret: never in a message or a log
    await channel.stop()  # stopping a channel that never started is harmless


async def test_settings_that_cannot_work_are_refused_before_anything_starts() -> None:
    with pytest.raises(TelegramSettingsError, match="webhook_url"):
        TelegramChannel(StandInEngine(), "1:x", mode="webhook", webhook_secret="s3cret")
    with pytest.raises(TelegramSettingsError, match="webhook_secret"):
        TelegramChannel(
            StandInEngine(),
            "1:x",
            mode="webhook",
            webhook_url="https://x/telegram/webhook",
            webhook_secret="not allowed!",
        )


async def test_typed_text_reaches_the_engine_and_is_echoed_escaped(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine()
    channel = await channel_for(engine)
    ana = api.user("Ана", language_code="sr")

    await ana.send_text("<b>Ана</b> & <script>")
    reply = await ana.next_message()

    # Shown literally: nothing the person typed becomes markup.
    assert reply.text == "Ваш избор: text=<b>Ана</b> & <script>"
    assert reply.bold() == []
    inbound = engine.inbounds[0]
    assert inbound.key.channel == "telegram" and inbound.key.user_key == str(ana.id)
    assert inbound.language_hint == "sr"
    assert inbound.message_id is not None and inbound.message_id.startswith(f"tg:{ana.id}:")
    await settle(api, channel)


async def test_commands_and_deep_link_payloads(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine()
    await channel_for(engine)
    marko = api.user("Марко", language_code="en")

    await marko.start("rKG3F7Q2A_7d2_Zx9")
    await marko.send_text("/status@ecitizen_test_bot")
    await marko.send_text("/officer 4821-7730")
    await marko.send_text("/nonsense")
    replies = await marko.next_messages(4)

    assert [r.text for r in replies] == [
        "Ваш избор: command=start payload=rKG3F7Q2A_7d2_Zx9",
        "Ваш избор: command=status payload=None",
        "Ваш избор: command=officer payload=4821-7730",
        "Ваш избор: text=/nonsense",  # an unknown command is text: the engine answers it
    ]
    assert engine.inbounds[0].command is Command.START
    assert engine.inbounds[0].language_hint == "en"


async def test_stickers_voice_and_photos_reach_the_engine_with_nothing_set(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine()
    await channel_for(engine)
    jovan = api.user("Јован")

    await jovan.send_sticker()
    await jovan.send_voice()
    await jovan.send_photo()

    assert [r.text for r in await jovan.next_messages(3)] == ["Ваш избор: nothing"] * 3


async def test_each_update_is_handled_once_under_its_own_message_id(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    engine = StandInEngine()
    channel = await channel_for(engine)
    users = [api.user(f"Корисник {i}") for i in range(5)]

    for user in users:
        for n in range(3):
            await user.send_text(f"порука {n}")
    await settle(api, channel)

    ids = [i.message_id for i in engine.inbounds]
    assert len(ids) == 15 and len(set(ids)) == 15


async def test_one_chat_is_handled_in_order_while_other_chats_go_on(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    """Ana's first message is slow; her second waits for it, Bojan is answered meanwhile."""
    bojan_answered = asyncio.Event()
    ana_began = asyncio.Event()
    started: list[str] = []

    class SlowForAna(StandInEngine):
        async def handle(self, inbound: Inbound) -> list[Outbound]:
            started.append(inbound.text or "")
            if inbound.text == "ana 1":
                ana_began.set()
                await bojan_answered.wait()  # only possible if Bojan is handled meanwhile
            if inbound.text == "bojan":
                bojan_answered.set()
            return [reply_to(inbound, Msg.of("telegram.chosen", choice=inbound.text or ""))]

    channel = await channel_for(SlowForAna())
    ana, bojan = api.user("Ана"), api.user("Бојан")

    await ana.send_text("ana 1")
    await ana.send_text("ana 2")
    # both of Ana's updates are with the bot before Bojan writes (fetched, and not
    # confirmed to Telegram until handled: the first is still being handled)
    await asyncio.wait_for(ana_began.wait(), 10)
    await bojan.send_text("bojan")
    await settle(api, channel)

    assert [m.text for m in ana.inbox] == ["Ваш избор: ana 1", "Ваш избор: ana 2"]
    assert [m.text for m in bojan.inbox] == ["Ваш избор: bojan"]
    assert started.index("bojan") < started.index("ana 2")


async def test_an_engine_failure_is_answered_politely_and_the_bot_goes_on(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    def answer(inbound: Inbound) -> list[Outbound]:
        if inbound.text == "boom":
            raise RuntimeError("a bug")
        return [reply_to(inbound, Msg.of("telegram.chosen", choice="ok"), language="en")]

    await channel_for(StandInEngine(answer))
    eva = api.user("Eva", language_code="en")

    await eva.send_text("boom")
    assert (await eva.next_message()).text == (
        "Something went wrong on our side. Please try again in a minute."
    )
    await eva.send_text("hello")
    assert (await eva.next_message()).text == "Your choice: ok"


async def test_groups_are_not_served(api: FakeBotApi, channel_for: ChannelFactory) -> None:
    engine = StandInEngine()
    channel = await channel_for(engine)
    member = api.user("Мила")
    group = {"id": -100123, "type": "group", "title": "Комшије"}
    message = {
        "message_id": 1,
        "from": member.as_from(),
        "chat": group,
        "date": 1,
        "text": "Здраво",
    }
    api.push_update({"message": message})
    await settle(api, channel)

    assert engine.inbounds == []


async def test_an_engine_failure_after_a_button_is_told_in_the_chat(
    api: FakeBotApi, channel_for: ChannelFactory
) -> None:
    def answer(inbound: Inbound) -> list[Outbound]:
        if inbound.choice == "boom":
            raise RuntimeError("a bug")
        choices = (Choice("boom", Msg("choice.yes")),)
        return [reply_to(inbound, Msg("telegram.choose"), choices=choices, language="en")]

    channel = await channel_for(StandInEngine(answer))
    eva = api.user("Eva", language_code="en")
    await eva.send_text("hello")
    await eva.next_message()
    await eva.press("Yes")

    assert (await eva.next_message()).text == (
        "Something went wrong on our side. Please try again in a minute."
    )
    await settle(api, channel)
    assert eva.toasts == [None]  # the button itself was answered (no endless spinner)
