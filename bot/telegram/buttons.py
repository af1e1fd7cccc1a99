"""Pressed inline buttons: answered, their keyboard taken away, a page of times turned.

A pressed button is answered in every case (it stops the spinner on the person's button)
and its keyboard is replaced by a line saying what was chosen, so the same keyboard
cannot act twice and the chat reads well. A page turn (earlier or later times) shows the
other page in the same message instead.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram.error import BadRequest, TelegramError

from bot.pacing import URGENT, SendLimiter
from bot.telegram.chats import ChatMemory
from bot.telegram.http import BotApiRequest
from bot.telegram.inbound import Incoming, Pressed, Shown
from bot.telegram.render import Renderer, is_inline
from bot.telegram.text import MESSAGE_LIMIT, escape, telegram_length
from flows.engine.i18n import text
from flows.engine.messages import LANGUAGES, Outbound, is_page_turn

log = logging.getLogger(__name__)


class Buttons:
    def __init__(
        self,
        request: BotApiRequest,
        limiter: SendLimiter,
        memory: ChatMemory,
        renderer: Renderer,
    ) -> None:
        self._request = request
        self._limiter = limiter
        self._memory = memory
        self._renderer = renderer

    async def settle(self, incoming: Incoming, language: str) -> bool:
        """Answer the pressed button and take its keyboard away, so the same keyboard
        cannot act twice. False when it must not act: pressed before (a double tap), or
        no longer understood (then the answer says so)."""
        query = incoming.callback
        assert query is not None
        message = query.message
        state = self._memory(incoming.chat_id)
        refusal = incoming.refusal
        # a page turn answers nothing: the message keeps its keyboard and shows another page
        page_turn = is_page_turn(incoming.inbound.choice)
        if message is not None and state.was_pressed(message.message_id):
            refusal = "telegram.button_stale"
        elif message is not None and not page_turn:
            state.pressed.append(message.message_id)
        answer = {"callback_query_id": query.query_id}
        if refusal:
            answer["text"] = text(refusal, language)
        with contextlib.suppress(TelegramError):
            # not paced: Telegram wants it within seconds, and it is no message in a chat
            await self._request.call("answerCallbackQuery", answer, result=False)
        if refusal is not None:
            return False
        if message is not None and not page_turn:
            chosen = _chosen_language(query.data) or language
            await self._show_choice(incoming.chat_id, query, message, chosen)
        return True

    async def turn_page(self, incoming: Incoming, replies: list[Outbound]) -> bool:
        """The other page of times in the message whose page turn was pressed, not in a
        new message per page; False when the reply needs messages of its own."""
        query = incoming.callback
        message = query.message if query is not None else None
        if message is None or len(replies) != 1:
            return False
        rendered = self._renderer.render(replies[0], reply=True)
        [page] = rendered.messages if len(rendered.messages) == 1 else [None]
        if page is None or page.qr is not None or not is_inline(page.markup):
            return False
        try:
            await self._edit(incoming.chat_id, message, page.text, page.markup)
        except BadRequest as exc:
            # pressed twice: the page shown already is the one asked for
            return "not modified" in exc.message
        except TelegramError as exc:
            log.info("Telegram: page not turned in place (%s)", exc.message)
            return False
        return True

    async def _show_choice(
        self, chat_id: int, query: Pressed, message: Shown, language: str
    ) -> None:
        """Replace the keyboard by a line saying what was chosen, so the chat reads well."""
        label = message.label(query.data)
        shown = message.text_html
        try:
            if shown is not None and label is not None:
                line = escape(text("telegram.chosen", language, choice=label))
                chosen = f"{shown}\n\n<b>{line}</b>"
                if telegram_length(chosen) <= MESSAGE_LIMIT:
                    await self._edit(chat_id, message, chosen, None)
                    return
            where = {"chat_id": chat_id, "message_id": message.message_id}
            await self._call("editMessageReplyMarkup", where)
        except TelegramError as exc:
            log.info("Telegram: keyboard not removed (%s)", exc.message)

    async def _edit(
        self, chat_id: int, message: Shown, html: str, markup: dict[str, Any] | None
    ) -> None:
        """The message's new text; without a markup its keyboard goes."""
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message.message_id,
            "text": html,
            "parse_mode": "HTML",
        }
        if markup is not None:
            params["reply_markup"] = markup
        await self._call("editMessageText", params)

    async def _call(self, method: str, params: dict[str, Any]) -> None:
        """Edits count towards the bot-wide limit like messages (they send nothing new to
        the chat: its own pace is not asked)."""
        await self._limiter.acquire(None, URGENT)
        await self._request.call(method, params, result=False)


def _chosen_language(data: str | None) -> str | None:
    """A language button: the line saying what was chosen is already in that language."""
    chosen = (data or "").removeprefix("lang:")  # the menu's button, or the language step's
    return chosen if chosen in LANGUAGES else None
