"""All flows and the parts they name, put together into one engine."""

from __future__ import annotations

from flows.conversations import (
    activation,
    activation_help,
    booking,
    checks,
    citizen,
    documents,
    enrollment,
    guide,
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

FLOWS: tuple[Flow, ...] = (
    registration.REGISTRATION,
    citizen.LANGUAGE,
    citizen.STATUS,
    guide.GUIDE,
    enrollment.ENROLL,
    officer.OFFICER,
    queueing.TICKET,
    queueing.CHECKIN,
    activation.ACTIVATION,
)


def all_parts() -> Parts:
    parts = Parts()
    for module_parts in (
        checks.PARTS,
        booking.PARTS,
        registration.PARTS,
        citizen.PARTS,
        guide.PARTS,
        enrollment.PARTS,
        officer.PARTS,
        officer_queue.PARTS,
        officer_printing.PARTS,
        officer_supervisor.PARTS,
        queueing.PARTS,
        documents.PARTS,
        activation.PARTS,
        activation_help.PARTS,
        officer_activation.PARTS,
    ):
        parts.merge(module_parts)
    return parts


def build_engine(env: Env, units: UnitStore) -> Engine:
    return Engine(env, FLOWS, all_parts(), units)


def preload() -> None:
    """What the flows read once and keep: every language's messages, the date formats of
    slips, the guide and its search index. Read when first needed, each would keep the
    event loop for 10 to 40 ms at the first message that needs it; a server calls this
    in a thread at start instead (blocking)."""
    for language in LANGUAGES:
        i18n.keys(language)
    slips.load_date_formats()
    index_of(guide_catalogue())
