"""A recording channel: stands in for a citizen's or officer's phone in outbox tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.terminal import render_outbound
from flows.engine.channel_ports import SendAttempt
from flows.engine.messages import Outbound


@dataclass
class Inbox:
    received: list[Outbound] = field(default_factory=list)

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        self.received.append(outbound)

    def texts_for(self, user_key: str) -> list[str]:
        return [render_outbound(o) for o in self.received if o.key.user_key == user_key]
