"""The stores the front ends keep their sessions in, shared by every process: kiosk
sessions, web-chat sessions and mailboxes, a chat's reach, and the wake-ups between
processes. `state/` implements them beside the rest of the store (flows/engine/ports.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from flows.engine.messages import ConversationKey, Outbound
from flows.engine.records import (
    KioskSession,
    Mailbox,
    WebSession,
)

WakeupCallback = Callable[[str | None], None]


class Wakeups(Protocol):
    """Cross-process wake-ups: "something changed, look again". A notice carries no data
    of its own (the database is the truth) and may be lost; listeners also re-read now
    and then. PostgreSQL: LISTEN/NOTIFY; SQLite (one process): in memory."""

    async def notify(self, channel: str, payload: str) -> None:
        """Wake every listener of the channel, in every process; never raises."""

    async def listen(self, channel: str, callback: WakeupCallback) -> Callable[[], None]:
        """Call back (on the event loop, quickly, without awaiting) on each notice of the
        channel from now on; returns the function that stops it."""


class RecordedReplies(Protocol):
    async def recorded_reply(self, channel: str, message_id: str) -> list[Outbound] | None:
        """The reply applied with this inbound id (None: not processed, or forgotten)."""


class KioskSessionStore(RecordedReplies, Protocol):
    """Kiosk sessions, shared by every process. Times are the store's clock. A session
    moves on only with a message's unit (flows.engine.messages.SessionStep); what it shows
    is the reply recorded with its last message."""

    async def add_kiosk_session(self, session: KioskSession) -> None:
        """A new session, last seen now."""

    async def kiosk_session(
        self, token: str, touch_every: timedelta | None = None
    ) -> KioskSession | None:
        """The session; with touch_every, marked as seen now when it was last seen longer
        ago than that."""

    async def forget_kiosk_session(
        self,
        session: KioskSession,
        inbound_ids: Sequence[str] = (),
        idle_for: timedelta | None = None,
        successor: KioskSession | None = None,
    ) -> bool:
        """Delete the session, its conversation and these processed inbound ids of its
        channel, in one transaction (with `successor` added, seen now: the next person's
        session, in the same commit). With idle_for, only if it was not seen for that
        long. False if nothing was deleted (gone already, or seen meanwhile)."""

    async def idle_kiosk_sessions(self, idle_for: timedelta, limit: int) -> list[KioskSession]:
        """Sessions not seen for idle_for, the longest silent first."""

    async def forget_idle_kiosk_conversations(self, channel: str, idle_for: timedelta) -> int:
        """Delete the channel's conversations not saved for idle_for that no session holds
        (a turn that raced a wipe, a crash); returns how many."""

    async def erase_for_good(self) -> None:
        """What was deleted leaves the database file too (SQLite: its log emptied)."""


class MailboxStore(Protocol):
    """Web chat mailboxes: what each browser session was told, numbered per session."""

    async def post_to_mailbox(
        self,
        token: str,
        items: Sequence[dict[str, Any]],
        language: str | None,
        *,
        keep: int,
        notice: str | None = None,
        reply_to: str | None = None,
        replies_kept: int = 20,
    ) -> list[int] | None:
        """Append items (their ids, in order), keeping the last `keep`. A notice key posts
        one notification once; a reply_to (the browser's message id) records the items
        as that message's answer, once. None: already posted (nothing changed)."""

    async def mailbox(
        self, token: str, after: int, touch_every: timedelta | None = None
    ) -> Mailbox:
        """The items after the given id (an unknown token: an empty mailbox); with
        touch_every, marked as used now when last marked longer ago than that."""

    async def mailbox_reply(self, token: str, reply_to: str) -> Mailbox | None:
        """The items recorded as the answer to that message, if it was answered."""

    async def forget_mailboxes(self, untouched_for: timedelta, limit: int = 1000) -> int:
        """Erase items posted longer ago than that (from every mailbox), and (up to limit)
        mailboxes nobody used for that long; returns how many mailboxes were found (one
        posted to meanwhile stays)."""


class WebSessionStore(Protocol):
    """Web chat sessions: ids given by the server, known to the store by their hash."""

    async def add_web_session(self, token_hash: str, user_key: str) -> None: ...

    async def web_session(
        self, token_hash: str, touch_every: timedelta | None = None
    ) -> WebSession | None:
        """With touch_every: marked as used now when last marked longer ago than that."""

    async def replace_web_session(self, old_hash: str, new_hash: str) -> bool:
        """The new id opens the same conversation; the old one is refused from now on."""

    async def forget_web_sessions(self, untouched_for: timedelta, replaced_for: timedelta) -> int:
        """Sessions unused for that long, replaced ids after `replaced_for`; how many."""


class ChatReachStore(Protocol):
    """What messengers said about chats (Viber's subscribed / unsubscribed, delivery
    receipts), kept in the store so that every process knows it."""

    async def chat_reachable(self, key: ConversationKey) -> bool:
        """False when the messenger last said the person cannot be written to."""

    async def set_chat_reach(
        self, key: ConversationKey, reachable: bool, said_at: datetime
    ) -> bool:
        """Record it, unless the messenger said something later already (True: recorded)."""

    async def chat_wrote(self, key: ConversationKey, said_at: datetime) -> bool:
        """The person wrote: reachable again if marked otherwise before (True: marked)."""

    async def record_sent(
        self, channel: str, tokens: Sequence[str], notice: str, at: datetime
    ) -> None:
        """The messenger's tokens of the messages a notification (effect key) went out as."""

    async def record_receipt(self, channel: str, token: str, status: str, at: datetime) -> bool:
        """delivered / seen / failed for a notification's message (True: recorded)."""

    async def receipts(self, notice: str) -> list[str]:
        """How far each message of a notification got."""

    async def forget_chat_records(self, older_than: datetime) -> int: ...
