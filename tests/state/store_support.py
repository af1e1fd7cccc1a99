"""Records and a clock for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import ConversationKey
from flows.engine.records import Registration
from state import SqlStore
from state.leases import printer_lease

START = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


class Clock:
    """The store's clock, moved by the test."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def chat(user: str = "100", channel: str = "telegram") -> ConversationKey:
    return ConversationKey(channel, user)


def registration(
    ref: str,
    *,
    status: RegistrationStatus = RegistrationStatus.SUBMITTED,
    hall: str = "kg",
    visit_at: datetime | None = None,
    officer_id: int | None = None,
    created_at: datetime = START,
    email: str | None = "ana@example.rs",
    first_name: str = "Ана",
    last_name: str = "Јовановић",
) -> Registration:
    return Registration(
        ref=ref,
        status=status,
        hall=hall,
        language="sr-Cyrl",
        first_name=first_name,
        last_name=last_name,
        jmbg="0512981717776",
        id_number="012345678",
        phone="+381641234567",
        email=email,
        visit_at=visit_at,
        created_at=created_at,
        updated_at=created_at,
        officer_id=officer_id,
    )


async def printer_term(store: SqlStore, printer: str, ttl_s: float = 10) -> int:
    """The printer's lease taken as a print worker takes it: the term to claim jobs in."""
    term = await store.take_lease(printer_lease(printer), store.owner, ttl_s)
    assert term is not None, f"{printer} is held by another process"
    return term.number
