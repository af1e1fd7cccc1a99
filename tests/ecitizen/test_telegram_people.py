"""The simulated Telegram person reads the bot's answer to what they did, not a copy of the
question before it that a redelivery sent again.

When a server dies after its reply went out but before Telegram saw the update confirmed,
Telegram delivers the update again and another server sends the recorded reply again: the
same question twice. The person answers the first copy; the bot then marks that copy with
what was chosen. The second copy is still the question already answered, not the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from flows.engine.i18n import render, text
from flows.engine.messages import Msg
from tests.ecitizen.people import LANGUAGE, Journal, Pick
from tests.ecitizen.telegram_people import TelegramChat, telegram_screen
from tests.fakes.bot_api_server import FakeBotApi

SUMMARY = "Your registration:\nFirst name: Ana\n\n" + render(Msg("ask.summary"), LANGUAGE)
SUBMIT = render(Msg("summary.submit"), LANGUAGE)
DONE = render(
    Msg.of("reg.done", ref="7V5A-PKFK", hall="Kragujevac", address="", visit=""), LANGUAGE
)
MENU = render(Msg("menu.prompt"), LANGUAGE)


class Bot:
    """What our bot does to the chat, through the fake Bot API's HTTP methods."""

    def __init__(self, api: FakeBotApi, http: aiohttp.ClientSession, chat_id: int) -> None:
        self.api, self.http, self.chat_id = api, http, chat_id

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        url = f"{self.api.url}/bot{self.api.token}/{method}"
        async with self.http.post(url, json={"chat_id": self.chat_id, **params}) as answer:
            body: dict[str, Any] = await answer.json()
        assert body["ok"], body
        return body["result"]

    async def asks(self, words: str, *buttons: str) -> int:
        keyboard = [[{"text": b, "callback_data": b}] for b in buttons]
        sent = await self.call(
            "sendMessage", text=words, reply_markup={"inline_keyboard": keyboard}
        )
        return int(sent["message_id"])

    async def marks_chosen(self, message_id: int, words: str, chosen: str) -> None:
        """What the channel does to a pressed message: the choice under it, no keyboard."""
        line = text("telegram.chosen", LANGUAGE, choice=chosen)
        await self.call("editMessageText", message_id=message_id, text=f"{words}\n\n{line}")


async def let_run() -> None:
    """Every task that can go on goes on (no clock: only the order of events counts)."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_a_question_sent_again_after_a_redelivery_is_not_taken_for_the_answer() -> None:
    async with FakeBotApi() as api, aiohttp.ClientSession() as http:
        user = api.user("Ana", language_code="en")
        bot, journal = Bot(api, http, user.id), Journal()
        ana = TelegramChat("telegram#0", user, journal)
        summary = await bot.asks(SUMMARY, SUBMIT)
        screen = telegram_screen(user.inbox[-1])
        assert screen.step == "registration.summary"

        pressing = asyncio.create_task(ana.act(Pick("submit"), screen))
        await let_run()  # Ana presses "Submit" under the summary
        # the server that sent the summary died before the 200: another sends it again,
        await bot.asks(SUMMARY, SUBMIT)
        # then the press of the first copy is taken: it is marked, and the answer follows
        await bot.marks_chosen(summary, SUMMARY, SUBMIT)
        await Bot(api, http, api.user("Marko").id).asks(MENU, "Start")  # a busy bot
        await let_run()  # Ana reads what is on screen now
        await bot.asks(f"{DONE}\n\n{MENU}", render(Msg("menu.register"), LANGUAGE))

        answer = await asyncio.wait_for(pressing, 10)
        assert answer is not None
        assert (answer.step, answer.reference) == ("menu.after", "7V5A-PKFK"), answer.text
        assert not journal.incidents
