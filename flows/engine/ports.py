"""The ports the engine talks through: the store and the portal's account provider.

`state/` implements Store for SQLite and PostgreSQL; both pass one test suite
(tests/state/, each test run on both). Every method is a short transaction of its own;
`apply` is the one that carries a whole inbound message's changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.channel_ports import SendSlots
from flows.engine.messages import ConversationKey
from flows.engine.records import (
    ActivationProgress,
    AuditEntry,
    Conversation,
    Effect,
    LeaseTerm,
    Officer,
    OfficerInvite,
    OutboxItem,
    PrinterState,
    PrintJob,
    PrintStatus,
    Registration,
    Revocation,
    Throttle,
    Ticket,
    Unit,
)
from flows.engine.session_ports import (
    ChatReachStore,
    KioskSessionStore,
    MailboxStore,
    RecordedReplies,
    Wakeups,
    WebSessionStore,
)


class StoreError(Exception):
    """Base of the refusals the store gives; the engine answers each one politely."""


class VersionConflict(StoreError):
    """Something the turn read changed before its unit was applied (another message came in
    between, another ticket took the number, another officer called the ticket): the turn
    is run again from nothing, on fresh reads."""


class SessionEnded(StoreError):
    """The kiosk session the message came from is not where the request read it any more:
    the sweep wiped it, or another request of the session moved it on. Nothing of the
    message is applied, and the engine does not try again (the channel says what now)."""


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


class UnitStore(ConversationReader, RecordedReplies, Protocol):
    """What the engine itself needs: the one write of a message, and its recorded reply."""

    async def apply(self, unit: Unit) -> None:
        """Apply a unit atomically, its reply recorded with its inbound id. Raises
        VersionConflict, DuplicateInbound, IllegalTransition, SlotFull, TicketChanged,
        InviteGone or SessionEnded and then changes nothing. On success the
        conversation's version in the unit is incremented in place."""


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
    async def printers_at_work(self, now: datetime) -> dict[str, PrintStatus]:
        """In one read, the printers with a job PRINTING, or else with a due job at the
        head of their queue (QUEUED): a hint, the claim decides."""

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

    async def renew_leases(self, prefix: str, owner: str, ttl_s: float) -> dict[str, int]:
        """Every lease named prefix... the owner still holds, extended in one statement:
        the term of each, by name."""

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
    SendSlots,
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
