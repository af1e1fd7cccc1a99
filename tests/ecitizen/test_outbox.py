"""Notifications leave through the outbox: retried, in order per chat, never lost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from ecitizen.app import App
from flows.engine.channel_ports import RecipientGone, SendAttempt, TryLater
from flows.engine.messages import ConversationKey, Msg, Outbound
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from state import open_store
from tests.conftest import Clock
from tests.inbox import Inbox

ANA = ConversationKey("terminal", "ana")
BOB = ConversationKey("terminal", "bob")


@dataclass
class FlakyPhone:
    """A channel that fails the first `failures` sends, the way a network does."""

    failures: int = 0
    error: BaseException = field(default_factory=lambda: ConnectionError("network down"))
    received: list[Outbound] = field(default_factory=list)

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        self.received.append(outbound)


def message(to: ConversationKey, n: int) -> Unit:
    return Unit(
        effects=[
            notify(
                to,
                "en",
                [Msg.of("status.view", ref=f"R{n}", status="s", hall="h", visit="v")],
                f"m{n}",
                in_doubt=InDoubt.RESEND,
            )
        ]
    )


async def drain(app: App) -> None:
    while await app.outbox.run_once():
        pass


async def test_a_network_failure_is_retried_with_backoff_and_delivered_once(
    app: App, clock: Clock
) -> None:
    phone = FlakyPhone(failures=2)
    app.add_delivery("terminal", phone)
    await app.store.apply(message(ANA, 1))
    await drain(app)
    assert phone.received == []
    clock.advance(seconds=1)
    await drain(app)
    assert phone.received == []  # second failure: now waits 2 s
    clock.advance(seconds=2)
    await drain(app)
    assert len(phone.received) == 1
    clock.advance(minutes=10)
    await drain(app)
    assert len(phone.received) == 1


async def test_a_rate_limit_waits_as_long_as_the_channel_asks(app: App, clock: Clock) -> None:
    phone = FlakyPhone(failures=1, error=TryLater(30))
    app.add_delivery("terminal", phone)
    await app.store.apply(message(ANA, 1))
    await drain(app)
    clock.advance(seconds=29)
    await drain(app)
    assert phone.received == []
    clock.advance(seconds=2)
    await drain(app)
    assert len(phone.received) == 1


async def test_a_blocked_bot_is_not_retried(app: App, clock: Clock) -> None:
    phone = FlakyPhone(failures=1, error=RecipientGone())
    app.add_delivery("terminal", phone)
    await app.store.apply(message(ANA, 1))
    await drain(app)
    clock.advance(hours=1)
    await drain(app)
    assert phone.received == []


async def test_one_chat_stays_in_order_while_another_is_not_held_up(app: App, clock: Clock) -> None:
    phone = FlakyPhone(failures=1)
    app.add_delivery("terminal", phone)
    for n in range(3):
        await app.store.apply(message(ANA, n))
    await app.store.apply(message(BOB, 9))
    await drain(app)
    for _ in range(5):
        clock.advance(seconds=2)
        await drain(app)
    to_ana = [o.text[0].as_dict()["ref"] for o in phone.received if o.key == ANA]
    assert to_ana == ["R0", "R1", "R2"]
    assert any(o.key == BOB for o in phone.received)


async def test_the_same_effect_written_twice_is_delivered_once(app: App) -> None:
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    await app.store.apply(message(ANA, 1))
    await app.store.apply(message(ANA, 1))
    await drain(app)
    assert len(inbox.received) == 1


async def test_a_worker_that_died_holding_an_effect_hands_it_on_after_its_lease(
    app: App, clock: Clock
) -> None:
    await app.store.apply(message(ANA, 1))
    claimed = await app.store.claim_effects(clock(), 10, lease_s=60)
    assert len(claimed) == 1  # ... and the worker holding it dies here
    inbox = Inbox()
    app.add_delivery("terminal", inbox)
    await drain(app)
    assert inbox.received == []
    clock.advance(seconds=61)
    await drain(app)
    assert len(inbox.received) == 1


async def test_stopping_finishes_the_message_under_way_and_marks_it(app: App) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    sent: list[Outbound] = []

    class SlowPhone:
        async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
            started.set()
            await release.wait()
            sent.append(outbound)

    app.add_delivery("terminal", SlowPhone())
    await app.store.apply(message(ANA, 1))
    app.start_workers()
    await started.wait()
    closing = asyncio.create_task(app.close())
    await asyncio.sleep(0.05)
    release.set()
    await closing
    assert len(sent) == 1
    reopened = await open_store(app.config.database_url)
    later = app.env.clock() + timedelta(days=1)
    assert await reopened.claim_effects(later, 10, lease_s=60) == []  # marked: never resent
    await reopened.close()
