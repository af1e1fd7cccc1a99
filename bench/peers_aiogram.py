"""The registration dialogue on aiogram 3: a Router with FSM states in MemoryStorage.

The network is a BaseSession whose make_request returns the method's result at once (a
Message for sendMessage, True for answerCallbackQuery), so nothing waits and no JSON is
parsed. Updates are validated with the bot mounted before the clock starts and handed to
`Dispatcher.feed_update` directly.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, cast

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.base import BaseSession
from aiogram.filters import CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import GetMe, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.types import User as TgUser

from bench.dialogue import (
    BOT_ID,
    HALLS,
    NOW,
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

TOKEN = "123456:bench"

_ME = TgUser(id=BOT_ID, is_bot=True, first_name="eCitizen", username="ecitizen_bot")
_SENT = Message(
    message_id=1,
    date=NOW,
    chat=Chat(id=1, type="private"),
    from_user=_ME,
    text="ok",
)


class InstantSession(BaseSession):
    """Telegram that answers every call at once, successfully."""

    async def close(self) -> None:
        return None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (BaseSession's signature)
    ) -> TelegramType:
        if isinstance(method, SendMessage):
            return cast(TelegramType, _SENT)
        if isinstance(method, GetMe):
            return cast(TelegramType, _ME)
        return cast(TelegramType, True)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


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


async def _show(bot: Bot | None, chat_id: int, language: str, screen: Screen) -> None:
    assert bot is not None
    shown = render_reply(screen.texts, screen.choices, language)
    markup = None
    if shown.buttons:
        rows = [
            [InlineKeyboardButton(text=label, callback_data=id_)] for id_, label in shown.buttons
        ]
        markup = InlineKeyboardMarkup(inline_keyboard=rows)
    await bot.send_message(chat_id=chat_id, text=shown.text, reply_markup=markup)


async def _pressed(query: CallbackQuery) -> str:
    await query.answer()
    return query.data or ""


async def _show_to(query: CallbackQuery, data: dict[str, Any], screen: Screen) -> None:
    await _show(query.bot, query.from_user.id, data.get("_language", "sr-Cyrl"), screen)


async def start(message: Message, state: FSMContext) -> None:
    await state.set_data({})
    await state.set_state(Reg.language)
    await _show(message.bot, message.chat.id, "sr-Cyrl", language_screen())


async def language(query: CallbackQuery, state: FSMContext) -> None:
    data = await state.update_data(_language=(await _pressed(query))[5:])
    await state.set_state(Reg.menu)
    await _show_to(query, data, menu_screen())


async def register(query: CallbackQuery, state: FSMContext) -> None:
    await _pressed(query)
    await state.set_state(Reg.intro)
    data = await state.get_data()
    await _show_to(query, data, step_screen("intro", data))


async def intro(query: CallbackQuery, state: FSMContext) -> None:
    await _pressed(query)
    await state.set_state(Reg.consent)
    data = await state.get_data()
    await _show_to(query, data, step_screen("consent", data))


async def consent(query: CallbackQuery, state: FSMContext) -> None:
    answer = await _pressed(query)
    data = await state.get_data()
    if answer == "no":
        await state.clear()
        await _show_to(query, data, declined_screen())
        return
    await state.set_state(Reg.first_name)
    await _show_to(query, data, step_screen("first_name", data))


async def answer(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    step = (current or "").rpartition(":")[2]
    data = await state.get_data()
    language_ = data.get("_language", "sr-Cyrl")
    value = check(step, message.text or "")
    if isinstance(value, Invalid):
        await state.update_data(_failures=data.get("_failures", 0) + 1)
        await _show(message.bot, message.chat.id, language_, refusal_screen(step, value, data))
        return
    data = await state.update_data({step: value, "_failures": 0})
    if step == "email":
        await state.set_state(Reg.hall)
        await _show(message.bot, message.chat.id, language_, hall_screen())
        return
    next_step, next_state = _NEXT[step]
    await state.set_state(next_state)
    await _show(message.bot, message.chat.id, language_, step_screen(next_step, data))


async def skip_email(query: CallbackQuery, state: FSMContext) -> None:
    await _pressed(query)
    data = await state.update_data(email=None)
    await state.set_state(Reg.hall)
    await _show_to(query, data, hall_screen())


class Bookings:
    """The peer's own memory: booked visits per hall and slot, and the registrations."""

    def __init__(self) -> None:
        self.booked: dict[str, dict[datetime, int]] = {code: {} for code in HALLS}
        self.registrations: dict[str, Registered] = {}

    async def hall(self, query: CallbackQuery, state: FSMContext) -> None:
        code = await _pressed(query)
        data = await state.update_data(hall=code)
        await state.set_state(Reg.visit)
        await _show_to(query, data, visit_day_screen(HALLS[code], self.booked[code]))

    async def visit(self, query: CallbackQuery, state: FSMContext) -> None:
        data = await state.update_data(visit_day=await _pressed(query))
        await state.set_state(Reg.summary)
        await _show_to(query, data, summary_screen(data))

    async def submit(self, query: CallbackQuery, state: FSMContext) -> None:
        await _pressed(query)
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
        await _show_to(query, s, done_screen(ref, s["hall"]))


def router(bookings: Bookings) -> Router:
    r = Router(name="registration")
    r.message.register(start, CommandStart())
    r.callback_query.register(language, Reg.language, F.data.startswith("lang:"))
    r.callback_query.register(register, Reg.menu, F.data == REGISTER)
    r.callback_query.register(intro, Reg.intro, F.data == "ok")
    r.callback_query.register(consent, Reg.consent, F.data.in_({"yes", "no"}))
    asks = (Reg.first_name, Reg.last_name, Reg.jmbg, Reg.id_number, Reg.phone, Reg.email)
    r.message.register(answer, StateFilter(*asks), F.text)
    r.callback_query.register(skip_email, Reg.email, F.data == "skip")
    r.callback_query.register(bookings.hall, Reg.hall, F.data.in_(set(HALLS)))
    r.callback_query.register(bookings.visit, Reg.visit, F.data == WALK_IN)
    r.callback_query.register(bookings.submit, Reg.summary, F.data == "submit")
    return r


class AiogramPeer:
    name = "aiogram"

    def __init__(self, users: Sequence[User]) -> None:
        self.users = users
        self.bookings = Bookings()
        self.bot = Bot(TOKEN, session=InstantSession())
        self.dispatcher = Dispatcher(storage=MemoryStorage())
        self.dispatcher.include_router(router(self.bookings))
        self.updates: list[list[Update]] = []

    async def start(self) -> None:
        await self.bot.me()
        update_id = 0
        context = {"bot": self.bot}
        for user in self.users:
            row: list[Update] = []
            for say in script(user):
                update_id += 1
                payload = telegram_update(user, update_id, say)
                row.append(Update.model_validate(payload, context=context))
            self.updates.append(row)

    async def send(self, user: int, index: int) -> None:
        await self.dispatcher.feed_update(self.bot, self.updates[user][index])

    async def registered(self) -> set[Registered]:
        return set(self.bookings.registrations.values())

    async def close(self) -> None:
        await self.bot.session.close()
