"""Pacing of outgoing messages to a messenger's limits, replies ahead of notifications.

Every channel (Telegram, Viber) sends through one of these, set to that messenger's
published limits (SendLimits): a bot-wide pace and a per-chat pace with a short burst.
Every send first waits for its chat's turn, then for a slot of the bot-wide pace; among
sends waiting for the bot-wide slot, replies to people in the middle of a dialogue go
first, then replies to people who just opened the bot (thousands may at once, after a TV
announcement: they wait their turn, the dialogues do not wait behind them), then queued
notifications, whatever order they arrived in. A send that finds nobody waiting and the
slot free goes at once, without a round through the pacing task.

When the messenger refuses (rate limited) chats that had no other message lately, again
and again, it is the bot-wide limit that is hit: the pace slows down by a tenth, and
creeps back up while no chat is refused (additive increase, multiplicative decrease), so
a server stricter than our settings costs a few retries, not a storm of them.

The bot-wide limit is the bot's, however many processes send for it: with a SharedPace
(bot/shared_pace.py) every bot-wide slot also needs a token of the bot's per-slice count
in the store, which all the processes take from. A slot comes with its token (the slice
it is of), good for a short while: a send held up on its way keeps it in time right
before the call leaves (in_time), and acquires another bot-wide slot if it ran out.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.shared_pace import SharedPace

log = logging.getLogger(__name__)

URGENT = 0  # a reply to someone in the middle of a dialogue
FIRST_CONTACT = 1  # a reply to someone who just opened the bot (/start)
QUEUED = 2  # a notification from the outbox


ChatId = Hashable  # a channel's own chat id (Telegram: an int, Viber: a string)
# The slice of the shared bot-wide token a slot was granted on; None: no token (the pace
# is not shared, or the store is away and the process paces alone).
Token = int | None


@dataclass(frozen=True, slots=True)
class SendLimits:
    """How fast we send: each channel sets these just under its messenger's limits."""

    per_second: float  # the whole bot
    per_chat_per_second: float
    per_chat_burst: int  # messages one chat may receive back to back

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.per_chat_per_second <= 0 or self.per_chat_burst < 1:
            raise ValueError("send limits must be positive")


class SendLimiter:
    """Grants send slots: per chat (GCRA with a small burst), then bot-wide by priority."""

    _PRUNE_AT = 10_000  # chats remembered before forgetting those idle long enough

    def __init__(self, limits: SendLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._ceiling = limits.per_second
        self._rate = limits.per_second  # the bot-wide pace now, lowered after refusals
        self._slowed_at = -1e9
        self._refused_at = -1e9  # the last bot-wide refusal
        self._chat_interval = 1.0 / limits.per_chat_per_second
        self._chat_tolerance = (limits.per_chat_burst - 1) * self._chat_interval
        self._chat_tat: dict[ChatId, float] = {}  # theoretical arrival time per chat
        self._next_slot = 0.0  # earliest time of the next bot-wide slot
        self._waiting: list[tuple[int, int, asyncio.Future[Token]]] = []
        self._order = itertools.count()
        self._wakeup = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self.shared: SharedPace | None = None  # the bot-wide count of every process

    _SLOWDOWN = 0.9  # pace kept after repeated bot-wide refusals
    _CALM_S = 1.0  # no refusal for this long before the pace creeps back up
    _MIN_RATE = 1.0
    _CATCH_UP = 3  # slots a late pacer may make up for, back to back
    _REPEAT_S = 1.0  # two bot-wide refusals this close: we are too fast
    LATE_TRIES = 3  # tokens one send may give up for arriving after their slice
    _AGAIN_FIRST = 1 << 62  # sends taking a token again go ahead of the rest

    @property
    def rate(self) -> float:
        """Bot-wide messages per second granted now."""
        return self._rate

    @property
    def waiting(self) -> int:
        """Sends waiting for a bot-wide slot right now."""
        return sum(1 for *_, f in self._waiting if not f.done())

    async def acquire(self, chat_id: ChatId | None, priority: int = QUEUED) -> Token:
        """Wait until a message to this chat may be sent now. None: a call that is no
        message in a chat (an edit of one shown before) and takes only a bot-wide slot.
        The token is good for a short while (in_time)."""
        if chat_id is not None:
            await self._chat_turn(chat_id)
        return await self._kept_in_time(await self._bot_slot(priority), priority)

    async def _kept_in_time(self, token: Token, priority: int) -> Token:
        """The token, or another of the same priority if it ran out while its send was
        on its way (woken late on a busy loop, a slow write before the post). At most
        LATE_TRIES are given up for one send: a loop too slow to keep any token in time
        must not starve its sends (the messenger's 429s then pace them, as when alone)."""
        for _ in range(self.LATE_TRIES):
            if self.in_time(token):
                break
            token = await self._bot_slot(priority, again=True)
        return token

    async def again(self, priority: int) -> Token:
        """Another bot-wide slot for a send whose token ran out on its way, ahead of the
        sends of its priority that have not had one yet."""
        return await self._kept_in_time(await self._bot_slot(priority, again=True), priority)

    def in_time(self, token: Token) -> bool:
        """A call on this token may still leave now."""
        return self.shared is None or self.shared.in_time(token)

    async def _chat_turn(self, chat_id: ChatId) -> None:
        now = self._clock()
        tat = max(self._chat_tat.get(chat_id, now), now)
        self._chat_tat[chat_id] = tat + self._chat_interval
        if len(self._chat_tat) > self._PRUNE_AT:
            self._prune(now)
        delay = tat - self._chat_tolerance - now
        if delay > 0:
            await asyncio.sleep(delay)

    async def _bot_slot(self, priority: int, *, again: bool = False) -> Token:
        """`again`: for a send whose token ran out on its way, ahead of the others of its
        priority (it waited its turn once: a busy loop must not send it to the back)."""
        now = self._clock()
        shared = self.shared
        free = shared is None or shared.ready_now()  # a bot-wide token in hand, if needed
        if not self._waiting and now >= self._next_slot and free:
            self._grant(now)
            return None if shared is None else shared.use()
        granted: asyncio.Future[Token] = asyncio.get_running_loop().create_future()
        order = next(self._order) - (self._AGAIN_FIRST if again else 0)
        heapq.heappush(self._waiting, (priority, order, granted))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._grant_slots(), name="send-pacer")
        self._wakeup.set()
        return await granted

    async def _grant_slots(self) -> None:
        while True:
            while not self._waiting:
                self._wakeup.clear()
                await self._wakeup.wait()
            now = self._clock()
            if now < self._next_slot:
                # Sleep, then look again: a reply may have come in meanwhile and goes first.
                await asyncio.sleep(self._next_slot - now)
                continue
            if self.shared is not None:
                await self.shared.wait(self._waiting[0][0], len(self._waiting))
                now = self._clock()
            while self._waiting and self._waiting[0][2].done():  # its sender was cancelled
                heapq.heappop(self._waiting)
            if not self._waiting:
                continue
            _, _, granted = heapq.heappop(self._waiting)
            granted.set_result(None if self.shared is None else self.shared.use())
            self._grant(now)

    def _grant(self, now: float) -> None:
        """A slot was given at `now`: when the next one is."""
        if self._rate < self._ceiling and now - self._slowed_at > self._CALM_S:
            self._rate = min(self._ceiling, self._rate + 0.05 * self._rate)
            self._slowed_at = now - self._CALM_S + 0.5  # the next step in half a second
        # Woken a little late (a busy loop), keep to the schedule rather than lose the
        # lateness on every slot; after a pause, start afresh from now.
        interval = 1.0 / self._rate
        late = now - self._next_slot
        self._next_slot = (self._next_slot if late < self._CATCH_UP * interval else now) + interval

    def throttled(self, chat_id: ChatId, retry_after: float) -> None:
        """The messenger refused for the rate (Telegram's 429): hold this chat back for
        retry_after. A chat that sent nothing else lately cannot have hit its own limit:
        the bot-wide one was hit. One such refusal is jitter; a second within a couple of
        seconds means we go too fast, and the whole bot slows down."""
        now = self._clock()
        tat = self._chat_tat.get(chat_id, now)
        own_limit = tat - self._chat_interval > now  # it had other messages just before
        self._chat_tat[chat_id] = max(tat, now + retry_after + self._chat_tolerance)
        if own_limit:
            return
        if now - self._refused_at < self._REPEAT_S and now - self._slowed_at > 0.5:
            self._rate = max(self._MIN_RATE, self._rate * self._SLOWDOWN)
            self._slowed_at = now
        self._refused_at = now

    def _prune(self, now: float) -> None:
        self._chat_tat = {c: t for c, t in self._chat_tat.items() if t > now}

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        for *_, granted in self._waiting:
            granted.cancel()
        self._waiting.clear()
