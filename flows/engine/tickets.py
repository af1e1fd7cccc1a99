"""Putting the labels of a unit's new tickets where the turn could only hold their place.

A ticket's number is given by the store as the unit commits (flows.engine.records.NewTicket); the
store resolves the placeholders in what it writes, and the reply the engine sends is
resolved here, from the tickets the unit issued.
"""

from __future__ import annotations

from typing import Any

from flows.engine.codec import outbound_from_json, outbound_to_json
from flows.engine.messages import Outbound
from flows.engine.records import Unit, ticket_placeholder


def with_tickets(reply: Outbound, unit: Unit) -> Outbound:
    if not unit.issued:
        return reply
    labels = {ticket_placeholder(i): t.label for i, t in enumerate(unit.issued)}
    return outbound_from_json(_resolved(outbound_to_json(reply), labels))


def _resolved(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, label in labels.items():
            value = value.replace(placeholder, label)
        return value
    if isinstance(value, dict):
        return {k: _resolved(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, labels) for v in value]
    return value
