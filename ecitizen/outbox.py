"""The outbox worker: delivers effects written with the state changes, retrying with backoff.

Every process runs one. Each effect is claimed for a few seconds and the claim renewed
while it is being delivered, so an effect claimed by a process that dies is delivered by
another within seconds, and no other process takes it meanwhile. Each claimed effect is
delivered on its own, as soon as it is claimed; the worker claims again whenever it has
room or one of them is settled. Only the claiming process
marks the outcome, right after delivery. Only the oldest pending notice of a chat can be
claimed (state/outbox.py), so one chat's notices go out in order across processes.

A notice taken over from a process that died may have been on the wire: a channel whose
messenger cannot tell a repeat (Telegram, Viber) records each message in flight just
before it posts it (flows.engine.ports.SendAttempt). Taking over a notice so marked, the
worker cannot know whether the person got it, and does what the notice says
(flows.engine.notify.InDoubt): at least once, sent again with a line saying so; or at
most once, marked "uncertain" and not sent. The web chat's mailbox keeps one copy of each
notice, so there a notice is simply posted again and never in doubt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.conversations.activation import ACTIVATION_REMINDER, START, reminder_texts
from flows.conversations.booking import when_label
from flows.domain.halls import Hall
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.channel_ports import ClaimLost, Delivery, RecipientGone, TryLater
from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import (
    HALL_CHANGED,
    NOTIFY,
    InDoubt,
    in_doubt_of,
    notify,
    outbound_of,
    sent_again,
)
from flows.engine.ports import Store
from flows.engine.records import Effect, OutboxItem, Unit
from state.leases import renewed

log = logging.getLogger(__name__)

HallListener = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Attempt:
    """flows.engine.ports.SendAttempt: one try at a claimed notification."""

    store: Store
    item_id: int
    first_part: int

    async def sending(self, part: int) -> None:
        if not await self.store.effect_sending(self.item_id, part):
            raise ClaimLost(f"effect {self.item_id}")


def by_chat(items: list[OutboxItem]) -> list[list[OutboxItem]]:
    """A chat's notices together, oldest first; every other effect on its own."""
    groups: dict[str | int, list[OutboxItem]] = {}
    for item in sorted(items, key=lambda item: item.id):
        groups.setdefault(item.recipient or item.id, []).append(item)
    return list(groups.values())


def backoff(attempts: int) -> float:
    """Seconds before the next try: 1, 2, 4, ... capped at 5 minutes."""
    return float(min(300, 2 ** max(0, attempts - 1)))


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        deliveries: Mapping[str, Delivery],
        halls: Mapping[str, Hall],
        clock: Callable[[], datetime],
        hall_listeners: list[HallListener] | None = None,
        poll_seconds: float = 0.2,
        max_attempts: int = 20,
        # A claim's length; renewed every third of it while the effect is delivered, so a
        # long delivery keeps it, and a dead process's are taken over this soon.
        lease_seconds: float = 15.0,
        activation_code_days: int = 7,
    ) -> None:
        self.store = store
        self.deliveries = dict(deliveries)
        # channels delivered here only to some of their people (a terminal: its own)
        self.only_to: dict[str, frozenset[str]] = {}
        self.halls = halls
        self.clock = clock
        self.hall_listeners = list(hall_listeners or [])
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.activation_code_days = activation_code_days
        self._wake = asyncio.Event()
        self._stopping = False

    def add_delivery(
        self, channel: str, delivery: Delivery, users: Collection[str] | None = None
    ) -> None:
        """Notifications of the channel go through `delivery`: everybody's, or only those
        to `users` (the rest are left to the processes that have them)."""
        self.deliveries[channel] = delivery
        if users is None:
            self.only_to.pop(channel, None)
        else:
            self.only_to[channel] = frozenset(users)

    def wake(self) -> None:
        """Something was just written: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish what is on its way (so nothing handed to a channel is left unmarked and
        sent again after a restart), claim nothing more, then return from run()."""
        self._stopping = True
        self.wake()

    async def run(self, capacity: int = 100) -> None:
        """Claims what is due whenever it has room, and delivers each chat's claimed
        notices on their own, in order, as soon as they are claimed: a slow send (a chat's
        pace, a network away) holds up only its own chat."""
        on_way: set[int] = set()
        tasks: set[asyncio.Task[None]] = set()

        async def renew() -> bool:
            if on_way:
                await self.store.renew_effects(sorted(on_way), self.lease_seconds)
            return True

        def settled(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            self.wake()  # room again, and the chat's next notices may be due

        async with renewed(renew, self.lease_seconds / 3, "outbox claims"):
            while not self._stopping:
                self._wake.clear()  # before claiming: a wake meanwhile is not lost
                for group in by_chat(await self._claim_safely(capacity - len(on_way))):
                    on_way.update(item.id for item in group)
                    task = asyncio.create_task(self._deliver_in_order(group, on_way))
                    tasks.add(task)
                    task.add_done_callback(settled)
                await self._idle()
            if tasks:  # stopping: what is on its way is finished and marked
                await asyncio.wait(tasks)

    async def _claim_safely(self, limit: int) -> list[OutboxItem]:
        if limit <= 0:
            return []
        try:
            return await self._claim(limit)
        except Exception:
            log.exception("outbox claim failed; trying again")
            return []

    async def _idle(self) -> None:
        """Until woken or the poll interval passes. (Not wait_for: on Python 3.11 a cancel
        that meets its timeout can leave the caller waiting forever.)"""
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=self.poll_seconds)
        finally:
            waiter.cancel()

    async def run_once(self, limit: int = 100) -> int:
        """One claim, delivered whole (tests and one-off runs); how many were claimed."""
        items = await self._claim(limit)
        if not items:
            return 0
        on_way = {item.id for item in items}

        async def renew() -> int:
            return await self.store.renew_effects(sorted(on_way), self.lease_seconds)

        async with renewed(renew, self.lease_seconds / 3, "outbox claims"):
            await asyncio.gather(*(self._deliver_in_order(g, on_way) for g in by_chat(items)))
        return len(items)

    async def _claim(self, limit: int) -> list[OutboxItem]:
        # Only what this process can carry out: another (`serve` beside `ecitizen chat`,
        # or the chat of another officer) delivers the rest. A chat's notices come as the
        # head of its queue and those behind it (state/outbox.py).
        return await self.store.claim_effects(
            self.clock(),
            limit,
            self.lease_seconds,
            channels=[c for c in self.deliveries if c not in self.only_to],
            recipients=[
                ConversationKey(channel, user)
                for channel, users in self.only_to.items()
                for user in sorted(users)
            ],
            skip_kinds=[] if self.hall_listeners else [HALL_CHANGED],
        )

    async def _deliver_in_order(self, items: list[OutboxItem], on_way: set[int]) -> None:
        """One chat's notices, one after the other; once one is to be tried again later,
        the rest go back untried, to follow it then."""
        try:
            for index, item in enumerate(items):
                if not await self._carry_out(item):
                    await self.store.release_effects([later.id for later in items[index + 1 :]])
                    return
                on_way.discard(item.id)
        except Exception:  # the store away while marking: the claims run out, then again
            log.exception("effects %s not settled", [item.id for item in items])
        finally:
            on_way.difference_update(item.id for item in items)

    async def _carry_out(self, item: OutboxItem) -> bool:
        """Settled (done, failed or uncertain): True; to be tried again later: False."""
        effect = item.effect
        try:
            if effect.kind == NOTIFY:
                await self._notify(item)
            elif effect.kind == HALL_CHANGED:
                for listener in self.hall_listeners:
                    await listener(str(effect.payload["hall"]))
            elif effect.kind == "remind":
                await self._remind(item)
            elif effect.kind == ACTIVATION_REMINDER:
                await self._remind_activation(item)
            else:
                await self.store.effect_failed(item.id, f"unknown effect {effect.kind}")
                return True
        except RecipientGone:
            await self.store.effect_failed(item.id, "recipient unreachable")
            return True
        except ClaimLost:
            # another process took it over (this one stalled): nothing more from here
            log.warning("effect %s (%s): claim lost before sending", item.id, effect.kind)
            return False
        except TryLater as later:
            await self.store.effect_retry(
                item.id, self.clock() + timedelta(seconds=later.after_s), "try later"
            )
            return False
        except Exception as exc:  # a channel's own failure: retry with backoff
            log.warning("effect %s (%s) failed: %s", item.id, effect.kind, type(exc).__name__)
            if item.attempts + 1 >= self.max_attempts:
                await self.store.effect_failed(item.id, type(exc).__name__)
                return True
            delay = backoff(item.attempts + 1)
            await self.store.effect_retry(
                item.id, self.clock() + timedelta(seconds=delay), type(exc).__name__
            )
            return False
        if not await self.store.effect_done(item.id):
            # delivered, but this process's claim ran out and another took the effect
            log.warning("effect %s (%s): claim lost before it was marked", item.id, effect.kind)
        return True

    async def _notify(self, item: OutboxItem) -> None:
        out = outbound_of(item.effect)
        delivery = self.deliveries.get(out.key.channel)
        only = self.only_to.get(out.key.channel)
        if delivery is None or (only is not None and out.key.user_key not in only):
            # left for an hour to the processes that have it (claim_effects)
            whose = "" if delivery is None else " for this person"
            await self.store.effect_failed(
                item.id, f"no channel {out.key.channel}{whose} in any process"
            )
            return
        if item.sending_by is not None:
            effect = await self._in_doubt(item)
            if effect is None:
                return
            out = outbound_of(effect)
        await delivery.deliver(out, Attempt(self.store, item.id, item.sent_parts))

    async def _in_doubt(self, item: OutboxItem) -> Effect | None:
        """A notice taken over from a process that was handing message `sent_parts` of it
        to the messenger when it stopped: it may have arrived or not. The effect to send
        now, or None (given up, or the claim was lost)."""
        said = f"message {item.sent_parts + 1} was on its way in {item.sending_by}"
        if in_doubt_of(item.effect) is InDoubt.DROP:
            log.warning("effect %s: %s; not sent again (at most once)", item.id, said)
            await self.store.effect_uncertain(item.id, f"{said}; not sent again")
            return None
        log.warning("effect %s: %s; sent again, saying so (at least once)", item.id, said)
        # a notice is read from its first message: only a repeat of that one says so
        again = sent_again(item.effect) if item.sent_parts == 0 else item.effect
        if not await self.store.effect_resend(item.id, again):
            raise ClaimLost(f"effect {item.id}")
        return again

    async def _remind(self, item: OutboxItem) -> None:
        """The day-before reminder, turned into one notification per linked chat; a
        reminder for a visit that was moved or a registration no longer open is dropped."""
        ref = str(item.effect.payload["ref"])
        reg = await self.store.get_registration(ref)
        if reg is None or reg.status != RegistrationStatus.SUBMITTED or reg.visit_at is None:
            return
        if reg.visit_at != datetime.fromisoformat(str(item.effect.payload.get("visit_at"))):
            return  # the visit was moved: its own reminder is queued
        hall = self.halls.get(reg.hall)
        if hall is None:
            return
        text = [
            Msg.of(
                "notify.reminder",
                ref=ref,
                visit=when_label(reg.visit_at, hall),
                hall=hall.name if reg.language != "en" else hall.name_en,
                address=hall.address,
            )
        ]
        # queued as notifications of their own, so a retry never sends one chat two reminders
        links = await self.store.links_of(ref)
        await self.store.apply(
            Unit(
                effects=[
                    notify(key, reg.language, text, item.effect.key, in_doubt=InDoubt.RESEND)
                    for key in links
                ]
            )
        )
        self.wake()

    async def _remind_activation(self, item: OutboxItem) -> None:
        """A day (a setting) after the approval: if nobody confirmed the first login, each
        linked chat gets one reminder with the way back into the ConsentID guide (and, if
        the code expired meanwhile, that a new one is printed at the counter)."""
        ref = str(item.effect.payload["ref"])
        reg = await self.store.get_registration(ref)
        if reg is None or reg.erased or reg.status != RegistrationStatus.APPROVED:
            return
        issued = await self.store.activation_issued_at(reg.username) if reg.username else None
        texts = reminder_texts(reg, issued, self.clock(), self.activation_code_days)
        links = await self.store.links_of(ref)
        await self.store.apply(
            Unit(
                effects=[
                    notify(
                        key, reg.language, texts, item.effect.key, (START,), in_doubt=InDoubt.RESEND
                    )
                    for key in links
                ]
            )
        )
        self.wake()
