"""A Telegram update as the engine's Inbound.

Only private chats are served: registration data does not belong in a group. A shared
contact counts as the phone number only when it is the sender's own (Telegram sets
contact.user_id to the sender when the request-contact button is used); anything the
engine cannot read (stickers, photos, voice) arrives with nothing set, and the engine
answers it politely.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.command_text import read_command
from bot.contact import international
from bot.telegram.chats import ChatMemory, ChatState, ChoiceIds
from flows.engine.messages import ConversationKey, Inbound

CHANNEL = "telegram"


@dataclass(frozen=True, slots=True)
class Incoming:
    """What arrived: an Inbound for the engine, or a refusal the channel answers itself."""

    chat_id: int
    inbound: Inbound
    refusal: str | None = None  # catalog key of the channel's own answer, engine not asked
    callback: CallbackQuery | None = None  # a pressed inline button, to answer and clear


def conversation_key(chat_id: int) -> ConversationKey:
    return ConversationKey(CHANNEL, str(chat_id))


def read_update(update: Update, memory: ChatMemory, ids: ChoiceIds) -> Incoming | None:
    """None for what we do not serve: groups, channels, edits, service updates."""
    tg_chat = update.effective_chat
    sender = update.effective_user
    if tg_chat is None or sender is None or tg_chat.type != ChatType.PRIVATE:
        return None
    base = Inbound(
        key=conversation_key(tg_chat.id),
        message_id=f"tg:{tg_chat.id}:{update.update_id}",
        language_hint=sender.language_code,
    )
    if update.callback_query is not None:
        query = update.callback_query
        choice = ids.decode(query.data or "")
        if choice is None:
            return Incoming(tg_chat.id, base, refusal="telegram.button_stale", callback=query)
        return Incoming(tg_chat.id, replace(base, choice=choice), callback=query)
    if update.message is not None:
        return _read_message(update.message, base, tg_chat.id, sender.id, memory(tg_chat.id))
    return None


def _read_message(
    message: Message, base: Inbound, chat_id: int, sender_id: int, chat: ChatState
) -> Incoming:
    if message.contact is not None:
        if message.contact.user_id != sender_id:
            return Incoming(chat_id, base, refusal="telegram.contact_not_yours")
        chat.reply_keyboard = False  # the share button's one-time keyboard hid itself
        return Incoming(chat_id, replace(base, contact=international(message.contact.phone_number)))
    if message.text is None:
        return Incoming(chat_id, base)  # a sticker, photo, voice message, ...
    text = message.text
    typed = read_command(text)
    if typed is not None:
        return Incoming(chat_id, replace(base, command=typed[0], payload=typed[1]))
    choice = chat.reply_buttons.get(text.strip())
    if choice is not None:  # a reply keyboard button: it sends its label as text
        chat.reply_keyboard = False
        return Incoming(chat_id, replace(base, choice=choice))
    return Incoming(chat_id, replace(base, text=text))
