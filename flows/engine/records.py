"""The records the engine reads and writes through the store port.

Plain data, JSON-friendly; the store decides how they are kept.
Times are timezone-aware UTC datetimes; days are ISO dates of the hall's local calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey, Outbound, SessionStep


@dataclass(slots=True)
class Conversation:
    """Where one person is in which flow, and what they have told us so far."""

    key: ConversationKey
    flow: str = ""
    state: str = ""
    language: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)  # earlier states, for "back"
    failures: int = 0  # failed tries at the current step
    version: int = 0  # 0: never saved; the store refuses a save with a stale version
    updated_at: datetime | None = None


@dataclass(slots=True)
class KioskSession:
    """Who stands at a kiosk now, known by a random cookie token, kept in the store so any
    server process can answer the next tap. Its screens may show what the person typed:
    it lives only until the wipe (a tap on "Finish", the idle wipe, the server's sweep)."""

    token: str
    hall: str
    key: ConversationKey  # the conversation the session talks in
    seq: int = 0  # messages processed; the next one must carry seq + 1
    language: str | None = None
    screen: dict[str, Any] | None = None  # None: the language screen
    # What a repeat of seq is compared with; it is answered with the screen as it is.
    last_request: dict[str, Any] | None = None
    last_seen: datetime | None = None

    @property
    def touched(self) -> bool:
        """Something reached the engine: there is a server-side conversation to wipe."""
        return self.seq > 0


@dataclass(frozen=True, slots=True)
class MailboxItem:
    id: int  # per mailbox, 1, 2, 3... in the order the items were posted
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A web chat session's mailbox as read: the items after some id, up to `last_id`."""

    token: str
    items: tuple[MailboxItem, ...]
    last_id: int  # the newest item id when read (0: nothing was ever posted)
    language: str | None = None


@dataclass(frozen=True, slots=True)
class WebSession:
    """A web chat session as the store knows it by the hash of its id."""

    user_key: str | None  # the conversation's key; None: the id was replaced, refuse it
    touched_at: datetime


@dataclass(slots=True)
class Registration:
    ref: str
    status: RegistrationStatus
    hall: str
    language: str
    first_name: str
    last_name: str
    jmbg: str
    id_number: str
    phone: str  # E.164
    email: str | None
    visit_at: datetime | None  # None: will come without an appointment
    created_at: datetime
    updated_at: datetime
    officer_id: int | None = None  # who claimed or decided it
    reason: str | None = None  # rejection reason
    username: str | None = None  # portal username, once approved
    erased: bool = False  # personal data purged after retention
    document: str = "id_card"  # which document id_number is of: "id_card" | "passport"


@dataclass(frozen=True, slots=True)
class Transition:
    """A lifecycle move the store applies only if it is legal from the current status."""

    ref: str
    to: RegistrationStatus
    officer_id: int | None = None
    reason: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class VisitChange:
    ref: str
    visit_at: datetime | None
    capacity: int  # the store refuses the move when the new slot is full


@dataclass(slots=True)
class Officer:
    id: int
    name: str
    hall: str
    counter: str | None
    channel: str | None  # set once enrolled
    user_key: str | None
    active: bool
    created_at: datetime
    supervisor: bool = False  # sees who holds what in the hall, releases any of it


@dataclass(frozen=True, slots=True)
class Revocation:
    """An officer revoked: the registrations they held went back to the waiting list."""

    officer_id: int
    released: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Enrollment:
    """Redeeming a one-time invite: refused when it was used or expired meanwhile."""

    code_hash: str
    key: ConversationKey
    at: datetime
    name: str  # as the invite said
    hall: str
    supervisor: bool = False


@dataclass(frozen=True, slots=True)
class CounterChange:
    """An active officer moves to a counter (or leaves it: None)."""

    officer_id: int
    counter: str | None


@dataclass(frozen=True, slots=True)
class OfficerInvite:
    code_hash: str  # sha256 of the one-time enrollment code; the code itself is never stored
    name: str
    hall: str
    expires_at: datetime
    supervisor: bool = False


@dataclass(frozen=True, slots=True)
class Throttle:
    """Wrong enrollment codes of one scope (a chat, or everyone) as stored when read."""

    scope: str
    failures: int = 0
    last_at: datetime | None = None  # None: no row (nothing wrong yet, or forgiven)
    blocked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThrottleChange:
    """The next count of a scope, written only if the scope is still as `read` (another
    message counted meanwhile: the turn runs again). failures=0 forgets the scope."""

    read: Throttle
    failures: int
    at: datetime
    blocked_until: datetime


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"


@dataclass(slots=True)
class Ticket:
    id: int
    hall: str
    day: date
    service: str  # prefix letter, e.g. "A"
    number: int
    status: TicketStatus
    priority: int  # lower is called first: 0 appointment within its slot, 1 walk-in
    issued_at: datetime
    ref: str | None = None  # registration behind the ticket
    counter: str | None = None
    officer_id: int | None = None
    called_at: datetime | None = None
    finished_at: datetime | None = None
    notify: ConversationKey | None = None  # a chat to tell when the turn comes
    version: int = 0  # bumped by every change: a change is applied only to the version read

    @property
    def label(self) -> str:
        return ticket_label(self.service, self.number)


def ticket_label(service: str, number: int) -> str:
    return f"{service}{number:03d}"


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket to issue. Its number is given by the store as the unit commits (numbers
    never repeat and never go missing); until then the turn writes `placeholder(i)` where
    the label goes, and the store puts the label in its place in everything the unit
    writes, the recorded reply included (the engine does the same in the reply it sends)."""

    hall: str
    day: date
    service: str
    priority: int
    issued_at: datetime
    ref: str | None = None
    notify: ConversationKey | None = None


def ticket_placeholder(index: int) -> str:
    """Stands for the label of the unit's index-th new ticket. Bidi isolates around it: no
    answer can hold them (free text refuses them), so nothing else is ever replaced."""
    return f"\u2068ticket:{index}\u2069"


@dataclass(frozen=True, slots=True)
class TicketChange:
    """A ticket as the turn wants it, applied only if it is still at the version read.

    `rerun`: on a refusal, run the turn again on fresh reads (calling the next ticket: the
    loser simply gets another one); otherwise the refusal is the turn's to explain."""

    ticket: Ticket
    rerun: bool = False


@dataclass(frozen=True, slots=True)
class Effect:
    """Something to do outside once the state change is durable: notify, print, ...

    `key` is the idempotency key: the outbox accepts one effect per key, ever.
    """

    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime | None = None  # not before this time (e.g. a reminder the day before)


@dataclass(slots=True)
class OutboxItem:
    id: int
    effect: Effect
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_parts: int = 0  # messages of the notification the messenger accepted
    # The process that was handing message `sent_parts` to the messenger when its claim
    # ran out (it died, most likely): whether that message arrived is unknown.
    sending_by: str | None = None
    recipient: str | None = None  # a notification's chat, "channel:user_key"


class PrintStatus(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"  # given up; an officer may reprint
    UNCERTAIN = "uncertain"  # crashed mid-print: never reprinted without an officer asking


@dataclass(slots=True)
class PrintJob:
    id: int
    key: str  # idempotency key
    printer: str
    slip: str  # "ticket" | "receipt" | "credentials"
    payload: dict[str, Any]  # never an activation code, JMBG or ID card number
    status: PrintStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    error: str | None = None
    printed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reprint:
    """An officer's reprint: the job goes back to the queue only from the status read."""

    job_id: int
    status: PrintStatus


@dataclass(frozen=True, slots=True)
class NewAccount:
    """The built-in provider's account for an approved registration; refused (and the turn
    run again) when another registration took the username meanwhile."""

    ref: str
    username: str


@dataclass(frozen=True, slots=True)
class PrinterState:
    """A printer as its owning process last found it (kept in the store, shared by all)."""

    condition: str  # printing.status.Condition's value
    attention: str | None = None  # the reason last reported, until the printer recovers
    failures: int = 0  # failed attempts in a row: the exponent of the backoff


@dataclass(frozen=True, slots=True)
class LeaseTerm:
    """One uninterrupted hold of a lease by one owner (state/leases.py). Its number grows
    with every new term of the lease (a fencing token): work stamped with it can be refused
    once another term began. Until `starts_at` the holder must not act on what the lease
    guards: the previous holder lost it without giving it up and may still be finishing."""

    number: int
    expires_at: datetime
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class ActivationProgress:
    """Where an approved person is in setting up ConsentID (flows/conversations/activation.py):
    the step they are at (1 install .. 6 first login) and the problem they last reported there.
    Written over the version read (0: none was kept yet); no personal data."""

    ref: str
    step: int
    problem: str | None = None
    updated_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class HelpVisit:
    """A visit to the hall for help with ConsentID, in one of its visit slots; refused
    when the slot filled up meanwhile (`capacity`, as for a registration's visit)."""

    ref: str
    hall: str
    visit_at: datetime
    capacity: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str  # "officer:12", "citizen", "system", "operator"
    action: str  # "approve", "reject", "claim", "release", "reprint", ...
    ref: str | None = None
    detail: str | None = None  # never personal data
    at: datetime | None = None


@dataclass(slots=True)
class Unit:
    """Everything one inbound message changes, applied by the store in one transaction.

    The store applies all of it or none: a stale conversation version, an inbound id seen
    before, an illegal lifecycle move or a full slot refuses the whole unit.
    """

    conversation: Conversation | None = None  # saved with its version checked
    forget: ConversationKey | None = None  # delete this conversation (a shared screen wiped)
    session: SessionStep | None = None  # the kiosk session the message came from: checked
    inbound_id: tuple[str, str] | None = None  # (channel, message id): processed once only
    new_registration: Registration | None = None
    capacity: int = 0  # for new_registration.visit_at: refuse when the slot holds as many
    links: list[tuple[str, ConversationKey]] = field(default_factory=list)  # ref -> chat
    transitions: list[Transition] = field(default_factory=list)
    visit_changes: list[VisitChange] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    print_jobs: list[tuple[str, str, str, dict[str, Any]]] = field(
        default_factory=list
    )  # (key, printer, slip, payload)
    new_tickets: list[NewTicket] = field(default_factory=list)
    issued: list[Ticket] = field(default_factory=list)  # set by the store: the new tickets
    ticket_changes: list[TicketChange] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    counter_changes: list[CounterChange] = field(default_factory=list)
    reprints: list[Reprint] = field(default_factory=list)
    accounts: list[NewAccount] = field(default_factory=list)
    throttles: list[ThrottleChange] = field(default_factory=list)
    activations: list[ActivationProgress] = field(default_factory=list)
    help_visits: list[HelpVisit] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # the answer to the inbound message, kept with inbound_id: a redelivery gets it again
    reply: list[Outbound] = field(default_factory=list)

    def issue(self, ticket: NewTicket) -> str:
        """Adds a ticket to issue; returns what stands for its label until it has one."""
        self.new_tickets.append(ticket)
        return ticket_placeholder(len(self.new_tickets) - 1)
