"""The unit: everything one inbound message changes, applied by the store in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.engine.changes import Changes
from flows.engine.messages import ConversationKey, Outbound, SessionStep

if TYPE_CHECKING:  # records imports this module: its names are for the annotations only
    from flows.engine.records import (
        ActivationProgress,
        AuditEntry,
        Conversation,
        CounterChange,
        Effect,
        Enrollment,
        HelpVisit,
        NewAccount,
        NewTicket,
        Registration,
        Reprint,
        ThrottleChange,
        Ticket,
        TicketChange,
        Transition,
        VisitChange,
    )


def ticket_placeholder(index: int) -> str:
    """Stands for the label of the unit's index-th new ticket. Bidi isolates around it: no
    answer can hold them (free text refuses them), so nothing else is ever replaced."""
    return f"\u2068ticket:{index}\u2069"


class Unit:
    """Everything one inbound message changes, applied by the store in one transaction.

    The store applies all of it or none: a stale conversation version, an inbound id seen
    before, an illegal lifecycle move or a full slot refuses the whole unit. Each kind of
    change is a list, made when first used (flows.engine.changes).
    """

    __slots__ = (
        "_accounts",
        "_activations",
        "_audit",
        "_counter_changes",
        "_effects",
        "_enrollments",
        "_help_visits",
        "_links",
        "_new_tickets",
        "_print_jobs",
        "_reprints",
        "_throttles",
        "_ticket_changes",
        "_transitions",
        "_visit_changes",
        "capacity",
        "conversation",
        "forget",
        "inbound_id",
        "issued",
        "new_registration",
        "reply",
        "session",
    )

    links: Changes[tuple[str, ConversationKey]] = Changes()  # ref -> chat
    transitions: Changes[Transition] = Changes()
    visit_changes: Changes[VisitChange] = Changes()
    effects: Changes[Effect] = Changes()
    # (key, printer, slip, payload)
    print_jobs: Changes[tuple[str, str, str, dict[str, Any]]] = Changes()
    new_tickets: Changes[NewTicket] = Changes()
    ticket_changes: Changes[TicketChange] = Changes()
    enrollments: Changes[Enrollment] = Changes()
    counter_changes: Changes[CounterChange] = Changes()
    reprints: Changes[Reprint] = Changes()
    accounts: Changes[NewAccount] = Changes()
    throttles: Changes[ThrottleChange] = Changes()
    activations: Changes[ActivationProgress] = Changes()
    help_visits: Changes[HelpVisit] = Changes()
    audit: Changes[AuditEntry] = Changes()

    def __init__(
        self,
        conversation: Conversation | None = None,  # saved with its version checked
        forget: ConversationKey | None = None,  # delete it (a shared screen wiped)
        session: SessionStep | None = None,  # the kiosk session the message came from: checked
        inbound_id: tuple[str, str] | None = None,  # (channel, message id): once only
        new_registration: Registration | None = None,
        capacity: int = 0,  # for new_registration.visit_at: refuse when the slot is full
        links: list[tuple[str, ConversationKey]] | None = None,
        transitions: list[Transition] | None = None,
        visit_changes: list[VisitChange] | None = None,
        effects: list[Effect] | None = None,
        print_jobs: list[tuple[str, str, str, dict[str, Any]]] | None = None,
        new_tickets: list[NewTicket] | None = None,
        issued: Sequence[Ticket] = (),  # set by the store: the new tickets
        ticket_changes: list[TicketChange] | None = None,
        enrollments: list[Enrollment] | None = None,
        counter_changes: list[CounterChange] | None = None,
        reprints: list[Reprint] | None = None,
        accounts: list[NewAccount] | None = None,
        throttles: list[ThrottleChange] | None = None,
        activations: list[ActivationProgress] | None = None,
        help_visits: list[HelpVisit] | None = None,
        audit: list[AuditEntry] | None = None,
        # the answer to the inbound message, kept with inbound_id: a redelivery gets it again
        reply: Sequence[Outbound] = (),
    ) -> None:
        self.conversation = conversation
        self.forget = forget
        self.session = session
        self.inbound_id = inbound_id
        self.new_registration = new_registration
        self.capacity = capacity
        self._links = links
        self._transitions = transitions
        self._visit_changes = visit_changes
        self._effects = effects
        self._print_jobs = print_jobs
        self._new_tickets = new_tickets
        self.issued = issued  # read for every message: a plain attribute, as reply
        self._ticket_changes = ticket_changes
        self._enrollments = enrollments
        self._counter_changes = counter_changes
        self._reprints = reprints
        self._accounts = accounts
        self._throttles = throttles
        self._activations = activations
        self._help_visits = help_visits
        self._audit = audit
        self.reply = reply

    def notifies(self) -> bool:
        """Queues something for the outbox (a notice, a reminder, a hall display's news)."""
        return bool(self._effects)

    def prints(self) -> bool:
        """Queues a slip for a printer (a new one or a reprint)."""
        return bool(self._print_jobs or self._reprints)

    def only_the_conversation(self) -> bool:
        """Nothing but the conversation, the inbound id and the reply: most messages' units.
        Looks without making a list."""
        return self.new_registration is None and not (
            self._links
            or self._transitions
            or self._visit_changes
            or self._effects
            or self._print_jobs
            or self._new_tickets
            or self._ticket_changes
            or self._enrollments
            or self._counter_changes
            or self._reprints
            or self._accounts
            or self._throttles
            or self._activations
            or self._help_visits
            or self._audit
        )

    def issue(self, ticket: NewTicket) -> str:
        """Adds a ticket to issue; returns what stands for its label until it has one."""
        self.new_tickets.append(ticket)
        return ticket_placeholder(len(self.new_tickets) - 1)
