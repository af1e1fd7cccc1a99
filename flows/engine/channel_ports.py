"""What the engine and the outbox ask of a channel, and what a channel asks of them: the
replies to a message, a notice's delivery and its failures, and what the channel can do
(which hall a conversation stands in, whether a link opens there...). The core never names
a channel: the shell wires each channel's answers (Env.channels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flows.engine.messages import ConversationKey, Inbound, Outbound


class Conversations(Protocol):
    """What a channel needs of the application: the replies to one message (the engine,
    flows/engine/engine.py; in the running product the shell's App, which also wakes the
    workers that deliver what the message queued)."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...


class SendSlots(Protocol):
    """A bot's messages per time slice, counted for all the processes sending for it (a
    messenger's bot-wide limit holds for the bot, not for each process). See
    state/send_slots.py."""

    async def take_send_slots(self, bot: str, slice_no: int, want: int, limit: int) -> int:
        """Take up to `want` of the `limit` tokens of slice `slice_no`; how many were taken."""


class RecipientGone(Exception):
    """The person cannot be reached on this channel any more (blocked the bot, left)."""


class TryLater(Exception):
    """The channel asks us to wait (rate limit, network trouble); retry after `after_s`."""

    def __init__(self, after_s: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {after_s}s")
        self.after_s = after_s


class ClaimLost(Exception):
    """This process no longer holds the notification (its claim ran out and another
    process may have taken it): nothing more of it may be sent from here."""


class SendAttempt(Protocol):
    """One try at delivering a notification, as the outbox gives it to a channel.

    A channel whose messenger cannot tell a message it was sent twice (Telegram, Viber)
    starts at `first_part` (the messages before it were accepted on an earlier try) and
    calls `sending(part)` right before it hands message `part` over: that records it in
    flight, in a commit of its own, and raises ClaimLost when the claim is gone. A channel
    that keeps one copy of each notice itself (the web chat's mailbox) needs neither."""

    @property
    def first_part(self) -> int: ...

    async def sending(self, part: int) -> None: ...


class Delivery(Protocol):
    """A channel's way to send a message nobody is waiting for (a notification).

    Raises RecipientGone or TryLater; any other exception is retried with backoff.
    `attempt`: None when called outside the outbox (a test, a benchmark)."""

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelTraits:
    """What a channel can do, as far as a conversation has to know it to word its answers.

    The defaults are a person's own chat on their phone: links open, notices arrive later.
    """

    opens_links: bool = True  # a link in a reply can be followed where it is read
    # read on the phone where apps are installed; else a store link comes with a QR code
    # to scan with that phone
    on_own_phone: bool = True
    # a notice reaches the person here later (a status change, "your number is called"),
    # so what they register is linked to this conversation
    reachable_later: bool = True
    # one screen, one person after another, each wiped at the end: nobody's registrations
    # are linked to it, and it shows its own language switch and its own "Finish"
    shared_screen: bool = False


class ChannelPort(Protocol):
    """What the engine asks the channel a conversation is on; each channel answers for
    its own (the shell wires one per channel name, see Env.channels)."""

    @property
    def traits(self) -> ChannelTraits: ...

    def hall_of(self, key: ConversationKey) -> str | None:
        """The code of the counter hall this conversation stands in (a screen there), or
        None when it could be anywhere."""


@dataclass(frozen=True, slots=True)
class PersonalChat:
    """The answer for a channel that wired none: a person's own chat, in no hall."""

    traits: ChannelTraits = ChannelTraits()

    def hall_of(self, key: ConversationKey) -> str | None:
        return None


class UnknownHall(Exception):
    """The channel says the conversation stands in a hall this deployment does not know
    (taken out of the configuration, or a mistyped code): the person is told, and nothing
    of the message is applied; never taken for some other hall."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
