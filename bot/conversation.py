"""What a chat channel needs from the application: the engine's answer to one message."""

from __future__ import annotations

from typing import Protocol

from flows.engine.messages import Inbound, Outbound


class ConversationEngine(Protocol):
    async def handle(self, inbound: Inbound) -> list[Outbound]: ...
