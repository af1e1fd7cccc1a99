"""The ports the engine talks through: the store and the portal's account provider.

`state/` implements Store for SQLite and PostgreSQL; both pass one test suite
(tests/state/, each test run on both). Every method is a short transaction of its own;
`apply` is the one that carries a whole inbound message's changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey, Inbound, Outbound
from flows.engine.records import (
    ActivationProgress,
    AuditEntry,
    Conversation,
    Effect,
    KioskSession,
    LeaseTerm,
    Mailbox,
    Officer,
    OfficerInvite,
    OutboxItem,
    PrinterState,
    PrintJob,
    Registration,
    Revocation,
    Throttle,
    Ticket,
    Unit,
    WebSession,
)


class StoreError(Exception):
    """Base of the refusals the store gives; the engine answers each one politely."""


class VersionConflict(StoreError):
    """Something the turn read changed before its unit was applied (another message came in
    between, another ticket took the number, another officer called the ticket): the turn
    is run again from nothing, on fresh reads."""


class DuplicateInbound(StoreError):
    """This inbound message id was processed before: nothing is applied a second time."""


class IllegalTransition(StoreError):
    """The lifecycle does not allow this move from the registration's current status."""

    def __init__(self, ref: str, current: Registration | None) -> None:
        super().__init__(ref)
        self.ref = ref
        self.current = current


class SlotFull(StoreError):
    """The chosen visit slot reached its capacity meanwhile."""


class TicketChanged(StoreError):
    """Someone else changed the ticket after it was read; `current` is how it is now."""

    def __init__(self, ticket_id: int, current: Ticket | None) -> None:
        super().__init__(str(ticket_id))
        self.ticket_id = ticket_id
        self.current = current


class InviteGone(StoreError):
    """The officer invite was redeemed by someone else, or expired, meanwhile."""


class ConversationReader(Protocol):
    async def load_conversation(self, key: ConversationKey) -> Conversation | None: ...


class UnitStore(ConversationReader, Protocol):
    """What the engine itself needs: the one write of a message, and its recorded reply."""

    async def apply(self, unit: Unit) -> None:
        """Apply a unit atomically, its reply recorded with its inbound id. Raises
        VersionConflict, DuplicateInbound, IllegalTransition, SlotFull, TicketChanged or
        InviteGone and then changes nothing. On success the conversation's version in the
        unit is incremented in place."""

    async def recorded_reply(self, channel: str, message_id: str) -> list[Outbound] | None:
        """The reply applied with this inbound id (None: not processed, or forgotten)."""


class RegistrationReader(Protocol):
    async def get_registration(self, ref: str) -> Registration | None: ...

    async def registrations_at(
        self, hall: str, statuses: Sequence[RegistrationStatus]
    ) -> list[Registration]:
        """Oldest first; the caller sorts today's visits to the front."""

    async def registrations_linked_to(self, key: ConversationKey) -> list[Registration]: ...

    async def links_of(self, ref: str) -> list[ConversationKey]: ...

    async def slot_usage(self, hall: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Booked visits per slot start in [start, end), active registrations only."""

    async def username_taken(self, username: str) -> bool: ...


class RegistrationStore(RegistrationReader, Protocol):
    async def expire_due(self, now: datetime) -> list[str]:
        """Submitted registrations whose visit passed (or, without one, older than the
        configured window, decided by the caller through `now`): move to expired."""

    async def purge(
        self,
        older_than: datetime,
        *,
        approved_before: datetime | None = None,
        printed_before: datetime | None = None,
    ) -> int:
        """Erase what served its purpose (docs/privacy.md): personal data of cancelled,
        rejected and expired registrations last changed before `older_than`, of approved
        ones approved before `approved_before`, print job payloads printed before
        `printed_before`...; returns how many registrations were erased."""

    async def erase_for_good(self) -> None:
        """Deleted rows leave the database file too (SQLite: its log emptied)."""


class OfficerReader(Protocol):
    async def invite(self, code_hash: str) -> OfficerInvite | None: ...

    async def officer_for(self, key: ConversationKey) -> Officer | None: ...

    async def officer(self, officer_id: int) -> Officer | None: ...

    async def officers(self, hall: str | None = None) -> list[Officer]: ...

    async def throttle(self, scope: str) -> Throttle:
        """Wrong enrollment codes counted for the scope (an empty Throttle: none)."""


class OfficerStore(OfficerReader, Protocol):
    async def add_invite(self, invite: OfficerInvite) -> None: ...

    async def revoke_officer(self, officer_id: int, actor: str = "operator") -> Revocation | None:
        """Revoked at once, with everything they held: the registrations in review under
        them go back to the waiting list, audited. None if the officer was not active."""


class QueueReader(Protocol):
    async def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    async def find_ticket(self, hall: str, day: date, label: str) -> Ticket | None: ...

    async def tickets(self, hall: str, day: date) -> list[Ticket]:
        """In the order they were issued."""


class OutboxStore(Protocol):
    async def claim_effects(
        self,
        now: datetime,
        limit: int,
        lease_s: float,
        *,
        channels: Sequence[str] | None = None,
        recipients: Sequence[ConversationKey] = (),
        skip_kinds: Sequence[str] = (),
    ) -> list[OutboxItem]:
        """Due effects, claimed by this process for lease_s seconds so no other takes them;
        only notifications for `channels` (None: any) or to one of `recipients`, and no
        effect of `skip_kinds`. A chat's notices only from the head of its queue (none
        while an earlier one is claimed or backs off), with the due ones behind it: the
        claiming process sends them in order (OutboxItem.recipient)."""

    async def renew_effects(self, item_ids: Sequence[int], lease_s: float) -> int:
        """Extend this process's claims while their delivery is in progress."""

    # The outcome is written only while this process holds the claim: False otherwise.
    async def effect_done(self, item_id: int) -> bool: ...

    async def effect_retry(self, item_id: int, at: datetime, error: str) -> bool: ...

    async def effect_failed(self, item_id: int, error: str) -> bool: ...

    async def release_effects(self, item_ids: Sequence[int]) -> int:
        """Give claimed effects back untried (they waited behind one tried again later)."""

    async def effect_sending(self, item_id: int, part: int) -> bool:
        """Message `part` of the notification is about to go out (a commit of its own)."""

    async def effect_uncertain(self, item_id: int, error: str) -> bool:
        """Given up in doubt: it may have arrived; it is not sent again."""

    async def effect_resend(self, item_id: int, effect: Effect) -> bool:
        """Taken over in doubt and to be sent again: as `effect` says it now (ending with
        the line that says it is sent again), no longer in doubt."""


class PrintJobReader(Protocol):
    async def print_jobs(self, printer: str | None = None) -> list[PrintJob]: ...


class PrintJobStore(PrintJobReader, Protocol):
    async def claim_print_jobs(
        self, printer: str, now: datetime, limit: int, term: int
    ) -> list[PrintJob]:
        """The due jobs at the head of the printer's queue, marked PRINTING for this
        process in its `term` of the printer's lease; none unless it holds that term, nor
        while a job of the printer is PRINTING."""

    # The outcome is written only by the process printing the job, while the term it was
    # claimed in lasts: False otherwise.
    async def print_done(self, job_id: int, now: datetime) -> bool: ...

    async def print_retry(self, job_id: int, at: datetime, error: str) -> bool: ...

    async def print_failed(self, job_id: int, error: str) -> bool: ...

    async def mark_uncertain(self, printer: str | None = None) -> int:
        """Jobs left PRINTING by a process that is gone become UNCERTAIN."""

    async def requeue(self, job_id: int, now: datetime) -> bool:
        """An operator's reprint: FAILED, UNCERTAIN or PRINTED back to QUEUED."""

    async def printer_states(self) -> dict[str, PrinterState]: ...

    async def save_printer_state(self, printer: str, state: PrinterState) -> None: ...


class LeaseStore(Protocol):
    """Named leases held by one process at a time (see state/leases.py)."""

    owner: str  # this process's id

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool: ...

    async def take_lease(
        self, name: str, owner: str, ttl_s: float, guard_s: float = 0.0
    ) -> LeaseTerm | None:
        """The owner's term of the lease (a new one when it was free or ran out), or None
        while another owner holds it."""

    async def renew_lease(
        self, name: str, owner: str, ttl_s: float, term: int | None = None
    ) -> bool: ...

    async def release_lease(self, name: str, owner: str) -> bool: ...

    async def lease_holder(self, name: str) -> tuple[str, float] | None: ...


class PrinterStore(PrintJobStore, LeaseStore, Protocol):
    """What a printer worker needs: the jobs and the printers' leases."""


class AuditStore(Protocol):
    async def audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, ref: str | None = None, limit: int = 100) -> list[AuditEntry]: ...


class AccountReader(Protocol):
    async def account_of(self, ref: str) -> str | None:
        """The username of the registration's account, if it has one."""

    async def activation_hash(self, username: str) -> str | None: ...

    async def activation_issued_at(self, username: str) -> datetime | None:
        """When the account's current activation code was issued (printed), if it has one."""


class ActivationReader(Protocol):
    """Where approved people are in setting up ConsentID, and their help visits."""

    async def activation(self, ref: str) -> ActivationProgress | None: ...

    async def activations(self, refs: Sequence[str]) -> dict[str, ActivationProgress]: ...

    async def help_visit(self, ref: str) -> datetime | None: ...


class ActivationReport(Protocol):
    async def activation_events(
        self, hall: str, start: datetime, end: datetime
    ) -> list[AuditEntry]:
        """The hall's approvals, first logins and reported problems in [start, end), oldest
        first (audit entries: "approve", "activate", "activation_problem")."""


class AccountStore(AccountReader, Protocol):
    """What the built-in account provider keeps: usernames and activation-code hashes."""

    async def set_activation_hash(self, username: str, code_hash: str, now: datetime) -> None: ...


class StoreReader(
    ConversationReader,
    RegistrationReader,
    OfficerReader,
    QueueReader,
    PrintJobReader,
    AccountReader,
    ActivationReader,
    Protocol,
):
    """All a turn may do with the store: read. Its changes go into the unit."""


# Called with the notice's payload, or with None when notices may have been missed (the
# listening connection was lost and is back): then re-read everything.
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


class KioskSessionStore(Protocol):
    """Kiosk sessions, shared by every process. Times are the store's clock."""

    async def add_kiosk_session(self, session: KioskSession) -> None:
        """A new session, last seen now."""

    async def kiosk_session(
        self, token: str, touch_every: timedelta | None = None
    ) -> KioskSession | None:
        """The session; with touch_every, marked as seen now when it was last seen longer
        ago than that."""

    async def save_kiosk_turn(self, session: KioskSession, previous_seq: int) -> bool:
        """Save seq, language, screen, last request and response, seen now; only if the
        stored seq is still previous_seq (False: another request got there first)."""

    async def forget_kiosk_session(
        self,
        session: KioskSession,
        inbound_ids: Sequence[str] = (),
        idle_for: timedelta | None = None,
    ) -> bool:
        """Delete the session, its conversation and these processed inbound ids of its
        channel, in one transaction. With idle_for, only if it was not seen for that
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


class Store(
    StoreReader,
    UnitStore,
    RegistrationStore,
    OfficerStore,
    OutboxStore,
    PrintJobStore,
    AuditStore,
    AccountStore,
    ActivationReport,
    KioskSessionStore,
    MailboxStore,
    LeaseStore,
    WebSessionStore,
    ChatReachStore,
    Protocol,
):
    @property
    def wakeups(self) -> Wakeups:
        """Cross-process wake-ups on this store's database."""

    async def migrate(self) -> int:
        """Apply pending numbered migrations; returns the schema version."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Account:
    username: str


class AccountProvider(Protocol):
    """The portal's account creation, behind a port (built-in: issued locally).

    A turn only reads: `account_for` says which account the registration gets, and the
    engine's unit creates it when the approval commits (the built-in provider: a row in
    the same transaction, refused and decided again if the username was taken meanwhile)."""

    async def account_for(self, registration: Registration) -> Account:
        """The account the registration has, or the one it would get now. Reads only."""

    async def issue_activation_code(self, username: str) -> str:
        """A fresh one-time activation code for the ConsentID app, replacing any earlier
        one. Called only by the printer worker, right before the credentials slip is
        printed: the code exists in clear nowhere else."""


class Conversations(Protocol):
    """What a channel needs of the application: the replies to one message (the engine,
    flows/engine/engine.py; in the running product the shell's App, which also wakes the
    workers that deliver what the message queued)."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...


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
