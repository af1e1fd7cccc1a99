"""The registration dialogue on python-telegram-bot 22: a ConversationHandler, in memory.

The network is a BaseRequest whose do_request answers at once with a canned successful
Bot API body, so PTB still builds each request and parses each answer, but waits for
nothing. Updates are parsed (Update.de_json) before the clock starts and handed to
`Application.process_update` directly.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bench.dialogue import (
    BOT_ID,
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

TOKEN = "123456:bench"
Context = ContextTypes.DEFAULT_TYPE

_SENT = {
    "message_id": 1,
    "date": 1_796_022_000,
    "chat": {"id": 1, "type": "private"},
    "from": {"id": BOT_ID, "is_bot": True, "first_name": "eCitizen"},
    "text": "ok",
}
_ME = {"id": BOT_ID, "is_bot": True, "first_name": "eCitizen", "username": "ecitizen_bot"}
_BODIES: dict[str, bytes] = {
    "getMe": json.dumps({"ok": True, "result": _ME}).encode(),
    "sendMessage": json.dumps({"ok": True, "result": _SENT}).encode(),
}
_TRUE = json.dumps({"ok": True, "result": True}).encode()


class CannedRequest(BaseRequest):
    """Telegram that answers every call at once, successfully."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        return 200, _BODIES.get(url.rsplit("/", 1)[-1], _TRUE)


(LANGUAGE, MENU, INTRO, CONSENT, FIRST, LAST, JMBG, ID_NUMBER, PHONE, EMAIL, HALL, VISIT) = range(
    12
)
SUMMARY = 12
_ASKS = {FIRST: "first_name", LAST: "last_name", JMBG: "jmbg", ID_NUMBER: "id_number"}
_ASKS |= {PHONE: "phone", EMAIL: "email"}
_NEXT = {FIRST: LAST, LAST: JMBG, JMBG: ID_NUMBER, ID_NUMBER: PHONE, PHONE: EMAIL}


async def _show(update: Update, context: Context, screen: Screen) -> None:
    data = context.user_data if context.user_data is not None else {}
    shown = render_reply(screen.texts, screen.choices, data.get("_language", "sr-Cyrl"))
    markup = None
    if shown.buttons:
        rows = [[InlineKeyboardButton(label, callback_data=id_)] for id_, label in shown.buttons]
        markup = InlineKeyboardMarkup(rows)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, shown.text, reply_markup=markup)


async def _pressed(update: Update) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    return query.data


def _slots(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data


async def start(update: Update, context: Context) -> int:
    _slots(context).clear()
    await _show(update, context, language_screen())
    return LANGUAGE


async def language(update: Update, context: Context) -> int:
    _slots(context)["_language"] = (await _pressed(update))[5:]
    await _show(update, context, menu_screen())
    return MENU


async def register(update: Update, context: Context) -> int:
    await _pressed(update)
    await _show(update, context, step_screen("intro", _slots(context)))
    return INTRO


async def intro(update: Update, context: Context) -> int:
    await _pressed(update)
    await _show(update, context, step_screen("consent", _slots(context)))
    return CONSENT


async def consent(update: Update, context: Context) -> int:
    if await _pressed(update) == "no":
        await _show(update, context, declined_screen())
        return ConversationHandler.END
    await _show(update, context, step_screen("first_name", _slots(context)))
    return FIRST


def _answer(state: int) -> Any:
    step = _ASKS[state]

    async def answer(update: Update, context: Context) -> int | None:
        message = update.effective_message
        assert message is not None and message.text is not None
        slots = _slots(context)
        value = check(step, message.text)
        if isinstance(value, Invalid):
            slots["_failures"] = slots.get("_failures", 0) + 1
            await _show(update, context, refusal_screen(step, value, slots))
            return None  # stay at this step
        slots[step], slots["_failures"] = value, 0
        if state == EMAIL:
            await _show(update, context, hall_screen())
            return HALL
        await _show(update, context, step_screen(_ASKS[_NEXT[state]], slots))
        return _NEXT[state]

    return answer


async def skip_email(update: Update, context: Context) -> int:
    await _pressed(update)
    _slots(context)["email"] = None
    await _show(update, context, hall_screen())
    return HALL


class Bookings:
    """The peer's own memory: booked visits per hall and slot, and the registrations."""

    def __init__(self) -> None:
        self.booked: dict[str, dict[Any, int]] = {code: {} for code in HALLS}
        self.registrations: dict[str, Registered] = {}

    async def hall(self, update: Update, context: Context) -> int:
        code = await _pressed(update)
        _slots(context)["hall"] = code
        await _show(update, context, visit_day_screen(HALLS[code], self.booked[code]))
        return VISIT

    async def visit(self, update: Update, context: Context) -> int:
        _slots(context)["visit_day"] = await _pressed(update)
        await _show(update, context, summary_screen(_slots(context)))
        return SUMMARY

    async def submit(self, update: Update, context: Context) -> int:
        await _pressed(update)
        s = _slots(context)
        ref = new_ref()
        self.registrations[ref] = (
            s["first_name"],
            s["last_name"],
            s["jmbg"],
            s["phone"],
            s["hall"],
        )
        await _show(update, context, done_screen(ref, s["hall"]))
        return ConversationHandler.END


def conversation(bookings: Bookings) -> ConversationHandler[Context]:
    text = filters.TEXT & ~filters.COMMAND
    asks: dict[object, list[Any]] = {s: [MessageHandler(text, _answer(s))] for s in _ASKS}
    asks[EMAIL].append(CallbackQueryHandler(skip_email, pattern="^skip$"))
    with warnings.catch_warnings():  # per_message=False with callback handlers is intended
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                LANGUAGE: [CallbackQueryHandler(language, pattern="^lang:")],
                MENU: [CallbackQueryHandler(register, pattern=f"^{REGISTER}$")],
                INTRO: [CallbackQueryHandler(intro, pattern="^ok$")],
                CONSENT: [CallbackQueryHandler(consent, pattern="^(yes|no)$")],
                **asks,
                HALL: [CallbackQueryHandler(bookings.hall, pattern="^(" + "|".join(HALLS) + ")$")],
                VISIT: [CallbackQueryHandler(bookings.visit, pattern=f"^{WALK_IN}$")],
                SUMMARY: [CallbackQueryHandler(bookings.submit, pattern="^submit$")],
            },
            fallbacks=[CommandHandler("start", start)],
        )


class PtbPeer:
    name = "ptb"

    def __init__(self, users: Sequence[User]) -> None:
        self.users = users
        self.bookings = Bookings()
        self.app: Application[Any, Context, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(TOKEN)
            .request(CannedRequest())
            .get_updates_request(CannedRequest())
            .updater(None)
            .build()
        )
        self.app.add_handler(conversation(self.bookings))
        self.updates: list[list[Update]] = []

    async def start(self) -> None:
        await self.app.initialize()
        update_id = 0
        for user in self.users:
            row: list[Update] = []
            for say in script(user):
                update_id += 1
                row.append(Update.de_json(telegram_update(user, update_id, say), self.app.bot))
            self.updates.append(row)

    async def send(self, user: int, index: int) -> None:
        await self.app.process_update(self.updates[user][index])

    async def registered(self) -> set[Registered]:
        return set(self.bookings.registrations.values())

    async def close(self) -> None:
        await self.app.shutdown()
