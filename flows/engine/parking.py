"""A draft set aside: the place in a flow and its answers, kept while the person looks at
something else (their status, the guide) and offered again afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flows.engine.records import Conversation

PARKED = "_parked"
# the menu choice that takes the person back to the draft set aside
RESUME = "menu.resume"


def park(conv: Conversation, sticky: Sequence[str], now: datetime) -> dict[str, Any]:
    return {
        "flow": conv.flow,
        "state": conv.state,
        "history": list(conv.history),
        "slots": {k: v for k, v in conv.slots.items() if k not in sticky},
        "at": now.isoformat(),
    }


def forget_stale(conv: Conversation, now: datetime, kept: timedelta) -> None:
    """A draft set aside longer ago than `kept` is dropped, even in a chat in use: its
    answers (a JMBG) are kept no longer than a conversation left idle would be."""
    parked = conv.slots.get(PARKED)
    if not isinstance(parked, dict):
        return
    at = parked.get("at")
    if not isinstance(at, str):  # set aside before drafts were dated: from now on
        parked["at"] = now.isoformat()
    elif now - datetime.fromisoformat(at) > kept:
        del conv.slots[PARKED]


def parked_flow(conv: Conversation) -> str | None:
    parked = conv.slots.get(PARKED)
    return str(parked["flow"]) if isinstance(parked, dict) and parked.get("flow") else None


def unpark(conv: Conversation, sticky: Sequence[str]) -> bool:
    """Back to the parked place with its answers; False when nothing was parked."""
    parked = conv.slots.pop(PARKED, None)
    if not isinstance(parked, dict) or not parked.get("flow"):
        return False
    kept = {k: v for k, v in conv.slots.items() if k in sticky}
    conv.flow, conv.state = str(parked["flow"]), str(parked["state"])
    conv.history = [str(h) for h in parked.get("history", [])]
    conv.failures = 0
    conv.slots = {**dict(parked.get("slots", {})), **kept}
    return True
