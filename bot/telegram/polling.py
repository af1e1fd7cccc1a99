"""Taking updates from getUpdates without ever confirming one that is not handled yet.

getUpdates confirms every update below the offset it is given: Telegram then forgets them.
PTB's own updater asks for the next batch (and so confirms the last) as soon as it has
queued it, so a process that dies with updates in its queue loses them. Here the offset
never passes the oldest update still being handled. Updates fetched again meanwhile (they
are in flight) are skipped, so nothing is handled twice, and a slow chat does not hold the
others back. An update whose unit committed but whose answer a crash cut off comes back
after the restart, and the engine answers it with the reply it recorded.

While updates are in flight, Telegram answers getUpdates at once with them again (they
are not confirmed), up to 100 from the offset. So those fetched before are skipped by
their update_id, the poller asks again every REPOLL_S (not in a loop), and not at all
while 100 are in flight (nothing new could come): the CPU that costs stays bounded
however many updates are in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.updates import UpdatesRequest

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]

RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)
# While updates are in flight, getUpdates this often: Telegram answers at once (they are
# unconfirmed) and repeats them, so a new update of another chat waits up to this long.
REPOLL_S = 0.1
GET_UPDATES_LIMIT = 100  # Telegram's most updates per getUpdates


class Poller:
    def __init__(
        self,
        bot: Bot,
        request: UpdatesRequest,
        handle: Handle,
        *,
        timeout_s: int,
        allowed_updates: Sequence[str],
        max_in_flight: int = GET_UPDATES_LIMIT,
    ) -> None:
        self._bot = bot
        self._request = request
        self._handle = handle
        self._timeout_s = timeout_s
        self._allowed = list(allowed_updates)
        self._max_in_flight = max_in_flight
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._next = 0  # the first update id not fetched yet
        self._task: asyncio.Task[None] | None = None
        self._room = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Raises TelegramError when Telegram refuses (then nothing runs)."""
        await self._bot.delete_webhook(drop_pending_updates=False)  # polling needs none
        self._task = asyncio.create_task(self._run(), name="telegram-polling")
        self._task.add_done_callback(_ended)

    async def stop(self) -> None:
        """No more fetching; the updates in flight are still handled (see `drained`)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drained(self) -> None:
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    @property
    def offset(self) -> int:
        """Confirms all before the oldest update in flight, or all fetched."""
        return min(self._in_flight, default=self._next)

    async def _run(self) -> None:
        failures = 0
        while True:
            while len(self._in_flight) >= self._max_in_flight:
                # nothing new can come before the oldest in flight ends (the window of
                # one getUpdates is full of updates in flight)
                self._room.clear()
                await self._room.wait()
            asked_at = asyncio.get_running_loop().time()
            try:
                updates = await self._fetch()
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (TimedOut, Conflict, NetworkError, TelegramError) as exc:
                delay = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning(
                    "Telegram: getUpdates failed (%s); again in %.0f s", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                self._take(update)
            if self._in_flight:
                # Telegram answers at once while updates are unconfirmed, with them again:
                # ask again after a moment, not in a loop
                since = asyncio.get_running_loop().time() - asked_at
                await asyncio.sleep(max(0.0, REPOLL_S - since))

    async def _fetch(self) -> list[dict[str, Any]]:
        """getUpdates as JSON; a long poll only when nothing is in flight (else Telegram
        answers at once anyway)."""
        timeout = 0 if self._in_flight else self._timeout_s
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": self._allowed}
        if self.offset:
            params["offset"] = self.offset
        read_timeout = (self._request.read_timeout or 0) + timeout
        self._request.skip_below = self._next  # those we have: not read again
        updates = await self._request.call("getUpdates", params, read_timeout=read_timeout)
        return updates if isinstance(updates, list) else []

    def _take(self, data: dict[str, Any]) -> bool:
        """Starts handling an update fetched for the first time (True)."""
        uid = data.get("update_id")
        if not isinstance(uid, int) or uid in self._in_flight or uid < self._next:
            return False  # fetched again while in flight, or handled already
        self._next = max(self._next, uid + 1)
        task = asyncio.create_task(self._handle(data), name=f"telegram-update-{uid}")
        self._in_flight[uid] = task
        task.add_done_callback(lambda _: self._done(uid))
        return True

    def _done(self, uid: int) -> None:
        self._in_flight.pop(uid, None)
        self._room.set()


def _ended(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        log.error("Telegram: polling stopped by an error", exc_info=error)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
