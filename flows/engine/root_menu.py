"""The root of every conversation as the engine needs it: what a person sees outside any
flow (the menu, the language choice) and where a deep link lands.

The conversations provide it (flows/conversations/menu.py, handed to the engine by
flows/conversations/assembly.py), so that the engine names no conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from flows.engine.messages import Choice, Outbound
from flows.engine.turn import Turn

if TYPE_CHECKING:
    from flows.engine.engine import Engine


class RootMenu(Protocol):
    async def present(self, turn: Turn, end: bool = False) -> Outbound:
        """The menu; `end`: under the last answer of a flow."""

    def language_choice(self, turn: Turn) -> Outbound: ...

    def asks_language(self, turn: Turn) -> bool:
        """The language comes before anything else (a first contact with no hint)."""

    async def choices(self, turn: Turn, end: bool = False) -> list[Choice]: ...

    def flow_of(self, choice: str) -> str | None:
        """The flow a menu choice starts (None: not a menu choice)."""

    def cancelled(self, flow: str) -> str:
        """The message key that says what cancelling `flow` kept."""

    async def deep_link(self, turn: Turn, payload: str, engine: Engine) -> Outbound:
        """`/start <payload>`: where a signed deep link takes the conversation."""
