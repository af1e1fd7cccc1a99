"""The registration dialogue on python-telegram-bot 22: a ConversationHandler, in memory.

Two ways, as `make bench` compares them (bench/engine.py):

- logic (telegram=False): every reply is rendered to text and buttons as ours are, and
  nothing is sent; pressed buttons are not answered. Updates are parsed before the clock
  starts and handed to `Application.process_update`.
- through Telegram (telegram=True): each update arrives as the Bot API's JSON and is
  parsed (as a webhook does), every pressed button is answered and its keyboard taken
  away (what our channel does too), and every reply is sent, all through PTB's own Bot
  against the canned Bot API of bench/canned.py.
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
from telegram.warnings import PTBUserWarning

from bench.canned import TOKEN, CannedRequest
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

Context = ContextTypes.DEFAULT_TYPE


(LANGUAGE, MENU, INTRO, CONSENT, FIRST, LAST, JMBG, ID_NUMBER, PHONE, EMAIL, HALL, VISIT) = range(
    12
)
SUMMARY = 12
_ASKS = {FIRST: "first_name", LAST: "last_name", JMBG: "jmbg", ID_NUMBER: "id_number"}
_ASKS |= {PHONE: "phone", EMAIL: "email"}
_NEXT = {FIRST: LAST, LAST: JMBG, JMBG: ID_NUMBER, ID_NUMBER: PHONE, PHONE: EMAIL}


def _slots(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data


class Dialogue:
    """The handlers, the peer's own memory (booked visits per hall and slot, the
    registrations), and whether replies go out through Telegram or are only rendered."""

    def __init__(self, telegram: bool) -> None:
        self.telegram = telegram
        self.booked: dict[str, dict[Any, int]] = {code: {} for code in HALLS}
        self.registrations: dict[str, Registered] = {}

    async def show(self, update: Update, context: Context, screen: Screen) -> None:
        data = context.user_data if context.user_data is not None else {}
        shown = render_reply(screen.texts, screen.choices, data.get("_language", "sr-Cyrl"))
        if not self.telegram:
            return
        markup = None
        if shown.buttons:
            rows = [
                [InlineKeyboardButton(label, callback_data=id_)] for id_, label in shown.buttons
            ]
            markup = InlineKeyboardMarkup(rows)
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(chat.id, shown.text, reply_markup=markup)

    async def pressed(self, update: Update) -> str:
        query = update.callback_query
        assert query is not None and query.data is not None
        if self.telegram:
            await query.answer()
            await query.edit_message_reply_markup(reply_markup=None)
        return query.data

    async def start(self, update: Update, context: Context) -> int:
        _slots(context).clear()
        await self.show(update, context, language_screen())
        return LANGUAGE

    async def language(self, update: Update, context: Context) -> int:
        _slots(context)["_language"] = (await self.pressed(update))[5:]
        await self.show(update, context, menu_screen())
        return MENU

    async def register(self, update: Update, context: Context) -> int:
        await self.pressed(update)
        await self.show(update, context, step_screen("intro", _slots(context)))
        return INTRO

    async def intro(self, update: Update, context: Context) -> int:
        await self.pressed(update)
        await self.show(update, context, step_screen("consent", _slots(context)))
        return CONSENT

    async def consent(self, update: Update, context: Context) -> int:
        if await self.pressed(update) == "no":
            await self.show(update, context, declined_screen())
            return ConversationHandler.END
        await self.show(update, context, step_screen("first_name", _slots(context)))
        return FIRST

    def answer(self, state: int) -> Any:
        step = _ASKS[state]

        async def answer(update: Update, context: Context) -> int | None:
            message = update.effective_message
            assert message is not None and message.text is not None
            slots = _slots(context)
            value = check(step, message.text)
            if isinstance(value, Invalid):
                slots["_failures"] = slots.get("_failures", 0) + 1
                await self.show(update, context, refusal_screen(step, value, slots))
                return None  # stay at this step
            slots[step], slots["_failures"] = value, 0
            if state == EMAIL:
                await self.show(update, context, hall_screen())
                return HALL
            await self.show(update, context, step_screen(_ASKS[_NEXT[state]], slots))
            return _NEXT[state]

        return answer

    async def skip_email(self, update: Update, context: Context) -> int:
        await self.pressed(update)
        _slots(context)["email"] = None
        await self.show(update, context, hall_screen())
        return HALL

    async def hall(self, update: Update, context: Context) -> int:
        code = await self.pressed(update)
        _slots(context)["hall"] = code
        await self.show(update, context, visit_day_screen(HALLS[code], self.booked[code]))
        return VISIT

    async def visit(self, update: Update, context: Context) -> int:
        _slots(context)["visit_day"] = await self.pressed(update)
        await self.show(update, context, summary_screen(_slots(context)))
        return SUMMARY

    async def submit(self, update: Update, context: Context) -> int:
        await self.pressed(update)
        s = _slots(context)
        ref = new_ref()
        self.registrations[ref] = (
            s["first_name"],
            s["last_name"],
            s["jmbg"],
            s["phone"],
            s["hall"],
        )
        await self.show(update, context, done_screen(ref, s["hall"]))
        return ConversationHandler.END


def conversation(d: Dialogue) -> ConversationHandler[Context]:
    text = filters.TEXT & ~filters.COMMAND
    asks: dict[object, list[Any]] = {s: [MessageHandler(text, d.answer(s))] for s in _ASKS}
    asks[EMAIL].append(CallbackQueryHandler(d.skip_email, pattern="^skip$"))
    with warnings.catch_warnings():  # per_message=False with callback handlers is intended
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", d.start)],
            states={
                LANGUAGE: [CallbackQueryHandler(d.language, pattern="^lang:")],
                MENU: [CallbackQueryHandler(d.register, pattern=f"^{REGISTER}$")],
                INTRO: [CallbackQueryHandler(d.intro, pattern="^ok$")],
                CONSENT: [CallbackQueryHandler(d.consent, pattern="^(yes|no)$")],
                **asks,
                HALL: [CallbackQueryHandler(d.hall, pattern="^(" + "|".join(HALLS) + ")$")],
                VISIT: [CallbackQueryHandler(d.visit, pattern=f"^{WALK_IN}$")],
                SUMMARY: [CallbackQueryHandler(d.submit, pattern="^submit$")],
            },
            fallbacks=[CommandHandler("start", d.start)],
        )


class PtbPeer:
    name = "ptb"

    def __init__(self, users: Sequence[User], telegram: bool = False) -> None:
        self.users = users
        self.telegram = telegram
        self.dialogue = Dialogue(telegram)
        self.app: Application[Any, Context, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(TOKEN)
            .request(CannedRequest())
            .get_updates_request(CannedRequest())
            .updater(None)
            .build()
        )
        self.app.add_handler(conversation(self.dialogue))
        self.updates: list[list[Update]] = []
        self.bodies: list[list[bytes]] = []

    async def start(self) -> None:
        await self.app.initialize()
        update_id = 0
        for user in self.users:
            row: list[Update] = []
            bodies: list[bytes] = []
            for say in script(user):
                update_id += 1
                payload = telegram_update(user, update_id, say)
                if self.telegram:
                    bodies.append(json.dumps(payload).encode())
                else:
                    row.append(Update.de_json(payload, self.app.bot))
            self.updates.append(row)
            self.bodies.append(bodies)

    async def send(self, user: int, index: int) -> None:
        if self.telegram:  # as a webhook receives it
            update = Update.de_json(json.loads(self.bodies[user][index]), self.app.bot)
        else:
            update = self.updates[user][index]
        await self.app.process_update(update)

    async def registered(self) -> set[Registered]:
        return set(self.dialogue.registrations.values())

    async def close(self) -> None:
        await self.app.shutdown()
