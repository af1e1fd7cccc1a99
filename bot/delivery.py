"""Notifications from the outbox, delivered to a chat channel (flows.engine.ports.Delivery).

Shared by the channels: the outbox worker calls deliver() for each effect addressed to the
channel. It goes through the channel's paced sender, so notifications take the slots
replies leave free. A chat that cannot be reached is RecipientGone (the worker marks the
effect failed); a long rate limit or network trouble is TryLater.

The messengers behind it cannot tell a message sent twice, so each message is recorded in
flight in the store right before it goes on the wire, once the sender has its slot
(SendAttempt.sending): a process that dies leaves behind exactly which message may or may
not have arrived, and the worker that takes the notice over decides what to do (see
flows.engine.notify.InDoubt). An outbound that shows as several messages (a long text, a
QR code) resumes, whichever process retries it, after the last one accepted.

A channel adds what only it knows through DeliveryHooks: whether the chat is reachable
at all (before), what to remember once it was sent (sent), what to record when the
messenger says the person is gone (gone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from bot.pacing import QUEUED, ChatId
from bot.sending import Sender, SendProgress
from flows.engine.channel_ports import RecipientGone, SendAttempt
from flows.engine.messages import Outbound

Msg = TypeVar("Msg")
Result = TypeVar("Result")
R = TypeVar("R", contravariant=True)


class DeliveryHooks(Protocol[R]):
    async def before(self, outbound: Outbound) -> None:
        """Raise RecipientGone to send nothing (a chat known to be unreachable)."""

    async def sent(self, outbound: Outbound, results: Sequence[R]) -> None:
        """Every message of the outbound was accepted (`results`: those sent now)."""

    async def gone(self, outbound: Outbound, reason: str) -> None:
        """The messenger said the person cannot be reached."""


class OutboxDelivery(Generic[Msg, Result]):
    def __init__(
        self,
        channel: str,
        sender: Sender[Msg, Result],
        render: Callable[[Outbound], Sequence[Msg]],
        chat_id: Callable[[str], ChatId],
        *,
        hooks: DeliveryHooks[Result] | None = None,
        max_wait_s: float = 10.0,
    ) -> None:
        self.channel = channel
        self._sender = sender
        self._render = render
        self._chat_id = chat_id
        self._hooks = hooks
        self._max_wait_s = max_wait_s

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        """Returns once the messenger accepted every message from `attempt.first_part`
        on; raises RecipientGone, TryLater or (from `attempt.sending`) ClaimLost."""
        if outbound.key.channel != self.channel:
            raise ValueError(f"not a {self.channel} chat: {outbound.key.channel}")
        if self._hooks is not None:
            await self._hooks.before(outbound)
        chat_id = self._chat_id(outbound.key.user_key)
        messages = self._render(outbound)
        progress = SendProgress(sent=attempt.first_part if attempt is not None else 0)
        try:
            results = await self._sender.send(
                chat_id,
                messages,
                priority=QUEUED,
                max_wait_s=self._max_wait_s,
                progress=progress,
                before_post=None if attempt is None else attempt.sending,
            )
        except RecipientGone as gone:
            if self._hooks is not None:
                await self._hooks.gone(outbound, str(gone))
            raise
        if self._hooks is not None:
            await self._hooks.sent(outbound, results)

    @property
    def backlog(self) -> int:
        """Messages waiting for a send slot (replies and notifications)."""
        return self._sender.waiting
