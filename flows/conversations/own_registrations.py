"""Which registrations a chat may move or cancel: the one it made, or one whose mobile
number it gave. A chat that only scanned a slip's code follows the registration (its status
and news) but must prove the number first: a slip can be photographed by anyone."""

from __future__ import annotations

from flows.engine.turn import Turn

# Both are kept when flows end (the engine's STICKY slots).
MAY_CHANGE = "_may_change"  # the references this chat may move or cancel
WRONG_NUMBERS = "_wrong_numbers"  # reference -> wrong numbers typed for it
MAX_GRANTS = 20  # a family's registrations, followed from one phone


def grant_changes(turn: Turn, ref: str) -> None:
    """This chat may move or cancel the registration: it made it, or proved its number."""
    granted = turn.conv.slots.get(MAY_CHANGE)
    refs = [r for r in granted if r != ref] if isinstance(granted, list) else []
    turn.conv.slots[MAY_CHANGE] = [*refs, ref][-MAX_GRANTS:]


def may_change(turn: Turn) -> bool:
    granted = turn.conv.slots.get(MAY_CHANGE)
    return isinstance(granted, list) and turn.conv.slots.get("ref") in granted


def wrong_number(turn: Turn, ref: str) -> int:
    """Counts a wrong number typed for this reference; how many so far. Kept like the
    grants, so that starting over does not give three more tries."""
    kept = turn.conv.slots.get(WRONG_NUMBERS)
    counts = dict(kept) if isinstance(kept, dict) else {}
    counts[ref] = int(counts.get(ref, 0)) + 1
    turn.conv.slots[WRONG_NUMBERS] = counts
    return int(counts[ref])
