"""A list attribute made on first use, for records with many kinds of rare changes (Unit).

A unit waits for its commit while the engine handles other messages, and the collector
looks through every object still alive: eighteen empty lists a unit, most never used,
were over a third of them. A kind of change nobody has asked for holds None instead,
and the list is made when someone reads or adds to it.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class Changes(Generic[_T]):
    """`kind: Changes[X] = Changes()` in a class with a slot named `_kind`: reading `kind`
    gives the list (made then, empty, if the slot holds None); assigning sets it."""

    __slots__ = ("_slot",)

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot: Any = owner.__dict__[f"_{name}"]  # the slot's own member descriptor

    @overload
    def __get__(self, record: None, owner: type) -> Changes[_T]: ...

    @overload
    def __get__(self, record: object, owner: type) -> list[_T]: ...

    def __get__(self, record: object, owner: type) -> Changes[_T] | list[_T]:
        if record is None:
            return self
        found: list[_T] | None = self._slot.__get__(record, owner)
        if found is None:
            found = []
            self._slot.__set__(record, found)
        return found

    def __set__(self, record: object, value: list[_T]) -> None:
        self._slot.__set__(record, value)
