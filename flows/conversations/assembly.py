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
)
from flows.engine.engine import Engine
from flows.engine.flow import Flow
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
