"""The ports the engine talks through: the store and the portal's account provider.

`state/` implements Store for SQLite and PostgreSQL; both pass one test suite
(tests/state/test_store_contract.py). Every method is a short transaction of its own;
`apply` is the one that carries a whole inbound message's changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from flows.messages import ConversationKey, Outbound
from flows.records import (
    AuditEntry,
    Conversation,
    Officer,
    OfficerInvite,
    OutboxItem,
    PrinterState,
    PrintJob,
    Registration,
    RegistrationStatus,
    Ticket,
    Unit,
)


class StoreError(Exception):
    """Base of the refusals the store gives; the engine answers each one politely."""


class VersionConflict(StoreError):
    """The conversation changed since it was loaded (another message came in between)."""


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


class ConversationStore(Protocol):
    async def load_conversation(self, key: ConversationKey) -> Conversation | None: ...

    async def apply(self, unit: Unit) -> None:
        """Apply a unit atomically. Raises VersionConflict, DuplicateInbound,
        IllegalTransition or SlotFull and then changes nothing. On success the
        conversation's version in the unit is incremented in place."""


class RegistrationStore(Protocol):
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

    async def expire_due(self, now: datetime) -> list[str]:
        """Submitted registrations whose visit passed (or, without one, older than the
        configured window, decided by the caller through `now`): move to expired."""

    async def purge(self, older_than: datetime) -> int:
        """Erase personal data of cancelled, rejected and expired registrations last
        changed before the given time; returns how many were erased."""


class OfficerStore(Protocol):
    async def add_invite(self, invite: OfficerInvite) -> None: ...

    async def redeem_invite(
        self, code_hash: str, key: ConversationKey, now: datetime
    ) -> Officer | None:
        """One-time: the invite is deleted; None if unknown or expired."""

    async def officer_for(self, key: ConversationKey) -> Officer | None: ...

    async def officer(self, officer_id: int) -> Officer | None: ...

    async def officers(self, hall: str | None = None) -> list[Officer]: ...

    async def set_counter(self, officer_id: int, counter: str | None) -> None: ...

    async def revoke_officer(self, officer_id: int) -> bool: ...


class QueueStore(Protocol):
    async def issue_ticket(
        self,
        hall: str,
        day: date,
        service: str,
        priority: int,
        now: datetime,
        ref: str | None = None,
        notify: ConversationKey | None = None,
    ) -> Ticket:
        """Numbers restart daily per hall and service; never the same number twice."""

    async def call_next(
        self, hall: str, day: date, counter: str, officer_id: int, now: datetime
    ) -> Ticket | None:
        """The waiting ticket with the lowest (priority, issued_at); atomic, so two
        officers calling at once never get the same ticket."""

    async def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    async def find_ticket(self, hall: str, day: date, label: str) -> Ticket | None: ...

    async def update_ticket(self, ticket: Ticket) -> None: ...

    async def tickets(self, hall: str, day: date) -> list[Ticket]: ...


class OutboxStore(Protocol):
    async def claim_effects(
        self,
        now: datetime,
        limit: int,
        lease_s: float,
        *,
        channels: Sequence[str] | None = None,
        skip_kinds: Sequence[str] = (),
    ) -> list[OutboxItem]:
        """Due effects, claimed by this process for lease_s seconds so no other takes them;
        only notifications for `channels` (None: any), and no effect of `skip_kinds`."""

    async def renew_effects(self, item_ids: Sequence[int], lease_s: float) -> int:
        """Extend this process's claims while their delivery is in progress."""

    # The outcome is written only while this process holds the claim: False otherwise.
    async def effect_done(self, item_id: int) -> bool: ...

    async def effect_retry(self, item_id: int, at: datetime, error: str) -> bool: ...

    async def effect_failed(self, item_id: int, error: str) -> bool: ...


class PrintJobStore(Protocol):
    async def claim_print_jobs(self, printer: str, now: datetime, limit: int) -> list[PrintJob]:
        """The due jobs at the head of the printer's queue, marked PRINTING for this
        process; none while another live process holds the printer."""

    # The outcome is written only by the process printing the job: False otherwise.
    async def print_done(self, job_id: int, now: datetime) -> bool: ...

    async def print_retry(self, job_id: int, at: datetime, error: str) -> bool: ...

    async def print_failed(self, job_id: int, error: str) -> bool: ...

    async def print_jobs(self, printer: str | None = None) -> list[PrintJob]: ...

    async def mark_uncertain(self, printer: str | None = None) -> int:
        """Jobs left PRINTING by a process that is gone become UNCERTAIN."""

    async def requeue(self, job_id: int, now: datetime) -> bool:
        """An officer's reprint: FAILED, UNCERTAIN or PRINTED back to QUEUED."""

    async def printer_states(self) -> dict[str, PrinterState]: ...

    async def save_printer_state(self, printer: str, state: PrinterState) -> None: ...


class LeaseStore(Protocol):
    """Named leases held by one process at a time (see state/leases.py)."""

    owner: str  # this process's id

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool: ...

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool: ...

    async def release_lease(self, name: str, owner: str) -> bool: ...

    async def lease_holder(self, name: str) -> tuple[str, float] | None: ...


class PrinterStore(PrintJobStore, LeaseStore, Protocol):
    """What a printer worker needs: the jobs and the printers' leases."""


class AuditStore(Protocol):
    async def audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, ref: str | None = None, limit: int = 100) -> list[AuditEntry]: ...


class AccountStore(Protocol):
    """What the built-in account provider keeps: usernames and activation-code hashes."""

    async def save_account(self, ref: str, username: str) -> str:
        """Idempotent per ref: returns the username already saved for it, if any."""

    async def set_activation_hash(self, username: str, code_hash: str, now: datetime) -> None: ...

    async def activation_hash(self, username: str) -> str | None: ...


class Store(
    ConversationStore,
    RegistrationStore,
    OfficerStore,
    QueueStore,
    OutboxStore,
    PrintJobStore,
    AuditStore,
    AccountStore,
    LeaseStore,
    Protocol,
):
    async def migrate(self) -> int:
        """Apply pending numbered migrations; returns the schema version."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Account:
    username: str


class AccountProvider(Protocol):
    """The portal's account creation, behind a port (built-in: issued locally)."""

    async def create_account(self, registration: Registration) -> Account:
        """Idempotent per registration reference."""

    async def issue_activation_code(self, username: str) -> str:
        """A fresh one-time activation code for the ConsentID app, replacing any earlier
        one. Called only by the printer worker, right before the credentials slip is
        printed: the code exists in clear nowhere else."""


class RecipientGone(Exception):
    """The person cannot be reached on this channel any more (blocked the bot, left)."""


class TryLater(Exception):
    """The channel asks us to wait (rate limit, network trouble); retry after `after_s`."""

    def __init__(self, after_s: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {after_s}s")
        self.after_s = after_s


class Delivery(Protocol):
    """A channel's way to send a message nobody is waiting for (a notification).

    Raises RecipientGone or TryLater; any other exception is retried with backoff."""

    async def deliver(self, outbound: Outbound) -> None: ...
