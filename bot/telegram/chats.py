"""What the channel remembers about each chat between messages, in memory only.

The conversation itself lives in the engine's store; this is rendering state the engine
does not know about: the language last used (for the channel's own few answers), the
buttons of the reply keyboard on screen, and which inline keyboards were already used.
Losing it on a restart costs nothing but those conveniences.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.engine.messages import Outbound

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data


@dataclass(slots=True)
class ChatState:
    language: str | None = None
    reply_buttons: dict[str, str] = field(default_factory=dict)  # button text -> choice id
    reply_keyboard: bool = False  # a reply keyboard (share-my-number) may be on screen
    pressed: deque[int] = field(default_factory=lambda: deque(maxlen=64))  # message ids

    def was_pressed(self, message_id: int) -> bool:
        return message_id in self.pressed


class ChatMemory:
    """Per-chat state, least recently used chats forgotten beyond `capacity`."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._chats: OrderedDict[int, ChatState] = OrderedDict()

    def __call__(self, chat_id: int) -> ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = ChatState()
            if len(self._chats) > self._capacity:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return state


class LanguageHooks:
    """What a delivered notification teaches the channel: the chat's language, for the
    channel's own few answers before the person writes."""

    def __init__(self, memory: ChatMemory) -> None:
        self._memory = memory

    async def before(self, outbound: Outbound) -> None:
        return None

    async def sent(self, outbound: Outbound, results: Sequence[object]) -> None:
        state = self._memory(int(outbound.key.user_key))
        if state.language is None:
            state.language = outbound.language

    async def gone(self, outbound: Outbound, reason: str) -> None:
        return None


class ChoiceIds:
    """Choice ids to callback_data and back. Ids that fit are sent as they are; a longer
    one travels as a short digest remembered here (a rare case: the engine's ids are short).
    """

    _PREFIX = "#"

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, choice_id: str) -> str:
        if len(choice_id.encode()) <= CALLBACK_DATA_LIMIT and not choice_id.startswith(
            self._PREFIX
        ):
            return choice_id
        digest = hashlib.sha256(choice_id.encode()).digest()[:18]
        data = self._PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._long[data] = choice_id
        if len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return data

    def decode(self, data: str) -> str | None:
        """The choice id, or None for a digest this process no longer knows."""
        if data.startswith(self._PREFIX):
            return self._long.get(data)
        return data
