"""The registration dialogue on aiogram 3: a Router with FSM states in MemoryStorage.

Two ways, as `make bench` compares them (bench/engine.py):

- logic (telegram=False): every reply is rendered to text and buttons as ours are, and
  nothing is sent; pressed buttons are not answered. Updates are validated with the bot
  mounted before the clock starts and handed to `Dispatcher.feed_update`.
- through Telegram (telegram=True): each update arrives as the Bot API's JSON and is
  parsed and validated (as aiogram's webhook handler does), every pressed button is
  answered and its keyboard taken away (what our channel does too), and every reply is
  sent, all through aiogram's own Bot against the canned Bot API of bench/canned.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bench.canned import TOKEN, canned_aiogram_session
from bench.dialogue import (
    HALLS,
    REGISTER,
    Registered,
    Screen,
    User,
    check,
    declined_screen,
    done_screen,
    hall_screen,
    language_screen,
    menu_screen,
    refusal_screen,
    render_reply,
    script,
    step_screen,
    summary_screen,
    telegram_update,
    visit_day_screen,
)
from flows.conversations.booking import WALK_IN
from flows.domain.refcode import new_ref
from flows.domain.textinput import Invalid


class Reg(StatesGroup):
    language = State()
    menu = State()
    intro = State()
    consent = State()
    first_name = State()
    last_name = State()
    jmbg = State()
    id_number = State()
    phone = State()
    email = State()
    hall = State()
    visit = State()
    summary = State()


_NEXT = {
    "first_name": ("last_name", Reg.last_name),
    "last_name": ("jmbg", Reg.jmbg),
    "jmbg": ("id_number", Reg.id_number),
    "id_number": ("phone", Reg.phone),
    "phone": ("email", Reg.email),
}


class Dialogue:
    """The handlers, the peer's own memory (booked visits per hall and slot, the
    registrations), and whether replies go out through Telegram or are only rendered."""

    def __init__(self, telegram: bool) -> None:
        self.telegram = telegram
        self.booked: dict[str, dict[datetime, int]] = {code: {} for code in HALLS}
        self.registrations: dict[str, Registered] = {}

    async def show(self, bot: Bot | None, chat_id: int, language: str, screen: Screen) -> None:
        shown = render_reply(screen.texts, screen.choices, language)
        if not self.telegram:
            return
        assert bot is not None
        markup = None
        if shown.buttons:
            rows = [
                [InlineKeyboardButton(text=label, callback_data=id_)]
                for id_, label in shown.buttons
            ]
            markup = InlineKeyboardMarkup(inline_keyboard=rows)
        await bot.send_message(chat_id=chat_id, text=shown.text, reply_markup=markup)

    async def pressed(self, query: CallbackQuery) -> str:
        if self.telegram:
            await query.answer()
            assert isinstance(query.message, Message)
            await query.message.edit_reply_markup(reply_markup=None)
        return query.data or ""

    async def show_to(self, query: CallbackQuery, data: dict[str, Any], screen: Screen) -> None:
        language = data.get("_language", "sr-Cyrl")
        await self.show(query.bot, query.from_user.id, language, screen)

    async def start(self, message: Message, state: FSMContext) -> None:
        await state.set_data({})
        await state.set_state(Reg.language)
        await self.show(message.bot, message.chat.id, "sr-Cyrl", language_screen())

    async def language(self, query: CallbackQuery, state: FSMContext) -> None:
        data = await state.update_data(_language=(await self.pressed(query))[5:])
        await state.set_state(Reg.menu)
        await self.show_to(query, data, menu_screen())

    async def register(self, query: CallbackQuery, state: FSMContext) -> None:
        await self.pressed(query)
        await state.set_state(Reg.intro)
        data = await state.get_data()
        await self.show_to(query, data, step_screen("intro", data))

    async def intro(self, query: CallbackQuery, state: FSMContext) -> None:
        await self.pressed(query)
        await state.set_state(Reg.consent)
        data = await state.get_data()
        await self.show_to(query, data, step_screen("consent", data))

    async def consent(self, query: CallbackQuery, state: FSMContext) -> None:
        answer = await self.pressed(query)
        data = await state.get_data()
        if answer == "no":
            await state.clear()
            await self.show_to(query, data, declined_screen())
            return
        await state.set_state(Reg.first_name)
        await self.show_to(query, data, step_screen("first_name", data))

    async def answer(self, message: Message, state: FSMContext) -> None:
        current = await state.get_state()
        step = (current or "").rpartition(":")[2]
        data = await state.get_data()
        language = data.get("_language", "sr-Cyrl")
        value = check(step, message.text or "")
        chat = message.chat.id
        if isinstance(value, Invalid):
            await state.update_data(_failures=data.get("_failures", 0) + 1)
            await self.show(message.bot, chat, language, refusal_screen(step, value, data))
            return
        data = await state.update_data({step: value, "_failures": 0})
        if step == "email":
            await state.set_state(Reg.hall)
            await self.show(message.bot, chat, language, hall_screen())
            return
        next_step, next_state = _NEXT[step]
        await state.set_state(next_state)
        await self.show(message.bot, chat, language, step_screen(next_step, data))

    async def skip_email(self, query: CallbackQuery, state: FSMContext) -> None:
        await self.pressed(query)
        data = await state.update_data(email=None)
        await state.set_state(Reg.hall)
        await self.show_to(query, data, hall_screen())

    async def hall(self, query: CallbackQuery, state: FSMContext) -> None:
        code = await self.pressed(query)
        data = await state.update_data(hall=code)
        await state.set_state(Reg.visit)
        await self.show_to(query, data, visit_day_screen(HALLS[code], self.booked[code]))

    async def visit(self, query: CallbackQuery, state: FSMContext) -> None:
        data = await state.update_data(visit_day=await self.pressed(query))
        await state.set_state(Reg.summary)
        await self.show_to(query, data, summary_screen(data))

    async def submit(self, query: CallbackQuery, state: FSMContext) -> None:
        await self.pressed(query)
        s = await state.get_data()
        ref = new_ref()
        self.registrations[ref] = (
            s["first_name"],
            s["last_name"],
            s["jmbg"],
            s["phone"],
            s["hall"],
        )
        await state.set_state(None)
        await state.set_data({"_language": s["_language"]})
        await self.show_to(query, s, done_screen(ref, s["hall"]))


def router(d: Dialogue) -> Router:
    r = Router(name="registration")
    r.message.register(d.start, CommandStart())
    r.callback_query.register(d.language, Reg.language, F.data.startswith("lang:"))
    r.callback_query.register(d.register, Reg.menu, F.data == REGISTER)
    r.callback_query.register(d.intro, Reg.intro, F.data == "ok")
    r.callback_query.register(d.consent, Reg.consent, F.data.in_({"yes", "no"}))
    asks = (Reg.first_name, Reg.last_name, Reg.jmbg, Reg.id_number, Reg.phone, Reg.email)
    r.message.register(d.answer, StateFilter(*asks), F.text)
    r.callback_query.register(d.skip_email, Reg.email, F.data == "skip")
    r.callback_query.register(d.hall, Reg.hall, F.data.in_(set(HALLS)))
    r.callback_query.register(d.visit, Reg.visit, F.data == WALK_IN)
    r.callback_query.register(d.submit, Reg.summary, F.data == "submit")
    return r


class AiogramPeer:
    name = "aiogram"

    def __init__(self, users: Sequence[User], telegram: bool = False) -> None:
        self.users = users
        self.telegram = telegram
        self.dialogue = Dialogue(telegram)
        self.bot = Bot(TOKEN, session=canned_aiogram_session())
        self.dispatcher = Dispatcher(storage=MemoryStorage())
        self.dispatcher.include_router(router(self.dialogue))
        self.updates: list[list[Update]] = []
        self.bodies: list[list[bytes]] = []

    async def start(self) -> None:
        await self.bot.me()
        update_id = 0
        context = {"bot": self.bot}
        for user in self.users:
            row: list[Update] = []
            bodies: list[bytes] = []
            for say in script(user):
                update_id += 1
                payload = telegram_update(user, update_id, say)
                if self.telegram:
                    bodies.append(json.dumps(payload).encode())
                else:
                    row.append(Update.model_validate(payload, context=context))
            self.updates.append(row)
            self.bodies.append(bodies)

    async def send(self, user: int, index: int) -> None:
        if self.telegram:  # as aiogram's webhook handler receives it
            payload = json.loads(self.bodies[user][index])
            update = Update.model_validate(payload, context={"bot": self.bot})
        else:
            update = self.updates[user][index]
        await self.dispatcher.feed_update(self.bot, update)

    async def registered(self) -> set[Registered]:
        return set(self.dialogue.registrations.values())

    async def close(self) -> None:
        await self.bot.session.close()
