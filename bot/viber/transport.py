"""Viber as the shared sender's transport: one message posted with send_message."""

from __future__ import annotations

from typing import Any

from bot.pacing import ChatId
from bot.viber.api import ViberApi
from bot.viber.render import ViberMessage


class ViberTransport:
    def __init__(self, api: ViberApi) -> None:
        self._api = api
        self.sender: dict[str, Any] = {"name": "eCitizen"}  # set at start: the bot's name

    async def post(self, chat_id: ChatId, message: ViberMessage) -> str:
        """The message's token; raises what ViberApi.call raises."""
        payload = message.payload()
        payload["receiver"] = str(chat_id)
        payload["sender"] = self.sender
        return await self._api.send_message(payload)

    def welcome(self, message: ViberMessage) -> dict[str, Any]:
        """The body of a conversation_started answer: a send_message without receiver."""
        payload = message.payload()
        payload["sender"] = self.sender
        return payload
