"""The registration lifecycle: which status may follow which, and who may make the move.

submitted -> checked_in -> in_review (claimed by one officer) -> approved | rejected;
submitted -> cancelled | expired; in_review -> checked_in (released by its officer);
approved -> active, once the first portal login is confirmed (by the citizen or an officer).
A citizen who has checked in may still cancel before an officer claims the registration.
"""

from __future__ import annotations

SUBMITTED = "submitted"
CHECKED_IN = "checked_in"
IN_REVIEW = "in_review"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
EXPIRED = "expired"
LOGGED_IN = "active"  # the account is in use: the first login with ConsentID was confirmed

# to-status -> the statuses it may be reached from
ALLOWED_FROM: dict[str, frozenset[str]] = {
    CHECKED_IN: frozenset({SUBMITTED, IN_REVIEW}),
    IN_REVIEW: frozenset({CHECKED_IN, SUBMITTED}),
    APPROVED: frozenset({IN_REVIEW}),
    REJECTED: frozenset({IN_REVIEW}),
    CANCELLED: frozenset({SUBMITTED, CHECKED_IN}),
    EXPIRED: frozenset({SUBMITTED}),
    LOGGED_IN: frozenset({APPROVED}),
}

# Moves that only the officer holding the registration (in_review) may make.
HOLDER_ONLY: frozenset[str] = frozenset({APPROVED, REJECTED})

FINAL: frozenset[str] = frozenset({LOGGED_IN, REJECTED, CANCELLED, EXPIRED})
# approved or in use: the person has an account (the activation flow is for them)
HAS_ACCOUNT: frozenset[str] = frozenset({APPROVED, LOGGED_IN})
ACTIVE: frozenset[str] = frozenset({SUBMITTED, CHECKED_IN, IN_REVIEW})
ERASABLE: frozenset[str] = frozenset({REJECTED, CANCELLED, EXPIRED})


def is_legal(current: str, to: str) -> bool:
    return current in ALLOWED_FROM.get(to, frozenset())
