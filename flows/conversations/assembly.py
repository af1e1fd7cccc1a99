"""All conversations and the parts they name, put together into one engine.

A new flow is one more line in CONVERSATIONS: its module's parts and its flows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.conversations import (
    activation,
    activation_help,
    booking,
    checks,
    citizen,
    documents,
    enrollment,
    guide,
    menu,
    officer,
    officer_activation,
    officer_printing,
    officer_queue,
    officer_supervisor,
    queueing,
    registration,
    slips,
)
from flows.conversations.guide_data import guide as guide_catalogue
from flows.conversations.guide_search import index_of
from flows.engine import i18n
from flows.engine.engine import Engine
from flows.engine.flow import Flow
from flows.engine.messages import LANGUAGES
from flows.engine.ports import UnitStore
from flows.engine.turn import Env, Parts


@dataclass(frozen=True, slots=True)
class Conversation:
    """A module of conversations: the parts its tables name, and its flows (if any)."""

    parts: Parts
    flows: tuple[Flow, ...] = ()


CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(checks.PARTS),
    Conversation(booking.PARTS),
    Conversation(registration.PARTS, (registration.REGISTRATION,)),
    Conversation(citizen.PARTS, (citizen.LANGUAGE, citizen.STATUS)),
    Conversation(guide.PARTS, (guide.GUIDE,)),
    Conversation(enrollment.PARTS, (enrollment.ENROLL,)),
    Conversation(officer.PARTS, (officer.OFFICER,)),
    Conversation(officer_queue.PARTS),
    Conversation(officer_printing.PARTS),
    Conversation(officer_supervisor.PARTS),
    Conversation(queueing.PARTS, (queueing.TICKET, queueing.CHECKIN)),
    Conversation(documents.PARTS),
    Conversation(activation.PARTS, (activation.ACTIVATION,)),
    Conversation(activation_help.PARTS),
    Conversation(officer_activation.PARTS),
)

FLOWS: tuple[Flow, ...] = tuple(flow for c in CONVERSATIONS for flow in c.flows)


def all_parts() -> Parts:
    parts = Parts()
    for conversation in CONVERSATIONS:
        parts.merge(conversation.parts)
    return parts


def build_engine(env: Env, units: UnitStore) -> Engine:
    return Engine(env, FLOWS, all_parts(), units, menu)


def preload() -> None:
    """What the flows read once and keep: every language's messages, the date formats of
    slips, the guide and its search index. Read when first needed, each would keep the
    event loop for 10 to 40 ms at the first message that needs it; a server calls this
    in a thread at start instead (blocking)."""
    for language in LANGUAGES:
        i18n.keys(language)
    slips.load_date_formats()
    index_of(guide_catalogue())
