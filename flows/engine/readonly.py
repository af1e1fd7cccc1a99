"""The store as a turn sees it: the reads pass through, and nothing else is there.

Typing already keeps flows from writing (Env.store is a StoreReader); this makes it hold
at run time too, so a part that reaches for a write fails at once, in every test.
"""

from __future__ import annotations

from typing import Any, cast

from flows.engine import ports

READER_PORTS: tuple[type, ...] = (
    ports.ConversationReader,
    ports.RegistrationReader,
    ports.OfficerReader,
    ports.QueueReader,
    ports.PrintJobReader,
    ports.AccountReader,
    ports.ActivationReader,
)
READS: frozenset[str] = frozenset(
    name
    for port in READER_PORTS
    for name, member in vars(port).items()
    if callable(member) and not name.startswith("_")
)


class TurnWrote(AttributeError):
    """A flow asked the store for something other than a read."""


class _ReadOnlyStore:
    __slots__ = ("_store",)

    def __init__(self, store: ports.StoreReader) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in READS:
            return getattr(self._store, name)
        raise TurnWrote(f"a turn only reads; {name!r} belongs in the message's unit")


def read_only(store: ports.StoreReader) -> ports.StoreReader:
    return cast(ports.StoreReader, _ReadOnlyStore(store))
