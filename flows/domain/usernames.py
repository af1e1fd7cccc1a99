"""Usernames the built-in account provider gives out.

The portal uses the citizen's e-mail address as the username when one was given. Without
one (or when it is already taken) the username is made from the name so the citizen can
read it off the slip and type it: ASCII "firstname.lastname" (č -> c, đ -> dj, Ж -> z,
...), then "firstname.lastname.2", ".3" and so on. A generated username has at most
MAX_LEN characters from [a-z0-9.], never starts or ends with a dot, never has two in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count

from flows.domain.names import to_ascii

MAX_LEN = 30
FALLBACK = "user"  # only for names with no letter that has an ASCII reading
USERNAME = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")

_DROPPED = re.compile(r"['\u2019\u02bc]")  # o'brien -> obrien, not o.brien
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def is_generated_username(text: str) -> bool:
    return len(text) <= MAX_LEN and USERNAME.fullmatch(text) is not None


def slug(name: str) -> str:
    """A name as lowercase ASCII words joined by dots: "Ana-Marija" -> "ana.marija"."""
    ascii_name = _DROPPED.sub("", to_ascii(name)).lower()
    return _NOT_ALLOWED.sub(".", ascii_name).strip(".")


def _fit(first: str, last: str, room: int) -> str:
    """first.last within room characters: shorten the first name to its initial, then cut."""
    full = ".".join(part for part in (first, last) if part) or FALLBACK
    if len(full) <= room:
        return full
    if first and last:
        initialled = f"{first[0]}.{last}"
        if len(initialled) <= room:
            return initialled
        full = initialled
    return full[:room].rstrip(".")


def username_candidates(first: str, last: str, *, email: str | None = None) -> Iterator[str]:
    """Usernames to try in order until one is free; the iterator never ends.

    With an e-mail address, that address (lowercased) comes first. Then "first.last",
    "first.last.2", "first.last.3", ...: each shortened as needed to fit MAX_LEN.
    """
    if email:
        yield email.strip().lower()
    first_slug, last_slug = slug(first), slug(last)
    yield _fit(first_slug, last_slug, MAX_LEN)
    for n in count(2):
        suffix = f".{n}"
        yield _fit(first_slug, last_slug, MAX_LEN - len(suffix)) + suffix
