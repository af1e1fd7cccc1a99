"""The registration lifecycle: which status may follow which, and who may make the move.

submitted -> checked_in -> in_review (claimed by one officer) -> approved | rejected;
submitted -> cancelled | expired; in_review -> checked_in (released by its officer);
approved -> active, once the first portal login is confirmed (by the citizen or an officer).
A citizen who has checked in may still cancel before an officer claims the registration.
"""

from __future__ import annotations

from enum import StrEnum


class RegistrationStatus(StrEnum):
    SUBMITTED = "submitted"
    CHECKED_IN = "checked_in"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ACTIVE = "active"  # the account is in use: the first login with ConsentID was confirmed


_S = RegistrationStatus

# to-status -> the statuses it may be reached from
ALLOWED_FROM: dict[str, frozenset[str]] = {
    _S.CHECKED_IN: frozenset({_S.SUBMITTED, _S.IN_REVIEW}),
    _S.IN_REVIEW: frozenset({_S.CHECKED_IN, _S.SUBMITTED}),
    _S.APPROVED: frozenset({_S.IN_REVIEW}),
    _S.REJECTED: frozenset({_S.IN_REVIEW}),
    _S.CANCELLED: frozenset({_S.SUBMITTED, _S.CHECKED_IN}),
    _S.EXPIRED: frozenset({_S.SUBMITTED}),
    _S.ACTIVE: frozenset({_S.APPROVED}),
}

# approved or in use: the person has an account (the activation flow is for them)
HAS_ACCOUNT: frozenset[str] = frozenset({_S.APPROVED, _S.ACTIVE})
# not decided yet: the person may still come to the hall, be checked in and reviewed
PENDING: frozenset[str] = frozenset({_S.SUBMITTED, _S.CHECKED_IN, _S.IN_REVIEW})
ERASABLE: frozenset[str] = frozenset({_S.REJECTED, _S.CANCELLED, _S.EXPIRED})


def is_legal(current: str, to: str) -> bool:
    return current in ALLOWED_FROM.get(to, frozenset())
