"""Web chat mailboxes: what each browser session was told, kept until its page fetches it.

A notification (an officer's message, a status update) for a "web" conversation lands in
the session's mailbox; the open page picks it up with a long poll, and a page opened later
finds it there too. Mailboxes live in the store (flows.engine.ports.MailboxStore), so whichever
process delivered a notification, a page polling any process gets it, once and in order,
and a restart loses nothing. A long poll is woken through the store's wake-ups (channel
"mailbox", payload the session's conversation key: LISTEN/NOTIFY on PostgreSQL, in memory
on SQLite);
a wake-up lost on the way only delays, since a waiting poll reads again every few seconds.

Each mailbox keeps its last `keep` items, none older than a day (an officer's screens
quote the JMBG they check, and an officer's chat is always in use); a mailbox nobody used
for a day is erased from the database by every process's sweep: what a person typed is
not kept longer than that (the conversation itself lives in the store, as on Telegram).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web

from flows.engine.channel_ports import ChannelTraits, PersonalChat, SendAttempt
from flows.engine.messages import Outbound
from flows.engine.records import Mailbox
from flows.engine.session_ports import MailboxStore, Wakeups

log = logging.getLogger(__name__)

CHANNEL = "web"
# what the web chat answers the engine: a person's own chat, in a browser that is often on
# a computer (an app's store page comes with a QR code to scan with the phone)
WEB_CHAT = PersonalChat(ChannelTraits(on_own_phone=False))
WAKEUP_CHANNEL = "mailbox"
NOTICE = "notice"  # Outbound.extras: the notification's idempotency key (flows/engine/notify.py)
KEEP = 200
REPLAYS_KEPT = 20
FORGET_AFTER = timedelta(days=1)
TOUCH_EVERY = timedelta(minutes=10)  # "used" is marked this often at most: a day is coarse
REREAD_SECONDS = 5.0
SWEEP_SECONDS = 3600.0


class MailboxStoreWithWakeups(MailboxStore, Protocol):
    @property
    def wakeups(self) -> Wakeups: ...


class Mailboxes:
    def __init__(
        self,
        store: MailboxStoreWithWakeups,
        render: Callable[[Outbound], Awaitable[dict[str, Any]]],
        keep: int = KEEP,
        forget_after: timedelta = FORGET_AFTER,
        reread_seconds: float = REREAD_SECONDS,
    ) -> None:
        self._store = store
        self._render = render
        self._keep = keep
        self._forget_after = forget_after
        self._reread_seconds = reread_seconds
        self._waiters: dict[str, list[_Waiter]] = {}  # open long polls, per token
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._stop_listening: Callable[[], None] | None = None

    # -- waking the long polls of this process ---------------------------------------------

    async def listen(self) -> None:
        if self._stop_listening is None:
            self._stop_listening = await self._store.wakeups.listen(WAKEUP_CHANNEL, self._woken)

    def stop_listening(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def _woken(self, token: str | None) -> None:
        if token is None:  # wake-ups may have been missed: every poll looks again
            waiters = [w for ws in self._waiters.values() for w in ws]
        else:
            waiters = list(self._waiters.get(token, ()))
        for waiter in waiters:
            waiter.wake()

    async def _posted(self, token: str) -> None:
        await self._store.wakeups.notify(WAKEUP_CHANNEL, token)

    # -- reading ---------------------------------------------------------------------------

    async def read(self, token: str, after: int = 0) -> Mailbox:
        return await self._store.mailbox(token, after, touch_every=TOUCH_EVERY)

    async def wait_after(self, token: str, after: int, wait_s: float) -> Mailbox:
        """The items after `after`, waiting up to `wait_s` seconds for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        waiter = _Waiter()
        self._waiters.setdefault(token, []).append(waiter)
        try:
            while True:
                waiter.woken = False  # before reading: a wake-up during the read is kept
                box = await self.read(token, after)
                left = deadline - loop.time()
                if box.items or left <= 0:
                    return box
                if not waiter.woken:
                    await waiter.sleep(loop, min(left, self._reread_seconds))
        finally:
            waiters = self._waiters.get(token)
            if waiters is not None:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[token]

    def waiting(self) -> int:
        """Long polls open in this process."""
        return sum(len(ws) for ws in self._waiters.values())

    # -- writing ---------------------------------------------------------------------------

    def lock(self, token: str) -> asyncio.Lock:
        """This process's messages of one session, one at a time (kept while in use).
        (kiosk/sessions.py has the same few lines: bot and kiosk do not import each other.)"""
        lock = self._locks.get(token)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[token] = lock
        return lock

    async def post(self, outbound: Outbound) -> list[int] | None:
        """A notification: into the mailbox once, even when delivered twice."""
        token = outbound.key.user_key
        item = {"from": "bot", **await self._render(outbound)}
        notice = outbound.extras.get(NOTICE)
        ids = await self._store.post_to_mailbox(
            token, [item], outbound.language, keep=self._keep, notice=notice
        )
        if ids is not None:
            await self._posted(token)
        return ids

    async def answer(
        self, token: str, client_id: str, items: Sequence[dict[str, Any]], language: str | None
    ) -> list[int] | None:
        """A message's echo and replies, recorded as its answer; None: it was answered
        already (by another process, just now): mailbox_reply has that answer."""
        ids = await self._store.post_to_mailbox(
            token,
            items,
            language,
            keep=self._keep,
            reply_to=client_id,
            replies_kept=REPLAYS_KEPT,
        )
        if ids:
            await self._posted(token)
        return ids

    async def answered(self, token: str, client_id: str) -> Mailbox | None:
        return await self._store.mailbox_reply(token, client_id)

    # -- forgetting ------------------------------------------------------------------------

    async def forget_stale(self) -> int:
        return await self._store.forget_mailboxes(self._forget_after)

    async def run(self, app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: listen for wake-ups; erase stale mailboxes hourly."""
        await self.listen()

        async def sweep() -> None:
            while True:
                try:
                    await self.forget_stale()
                except Exception as exc:  # the store is away: the next round does it
                    log.warning("mailbox sweep failed: %s", type(exc).__name__)
                await asyncio.sleep(SWEEP_SECONDS)

        task = asyncio.create_task(sweep())
        yield
        self.stop_listening()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class _Waiter:
    """One waiting long poll. Every open page of the web chat has one, so it is kept small:
    a future while it sleeps and a timer (an asyncio.Event and asyncio.timeout took 1 KB
    more per page, most of it the Event's empty deque)."""

    __slots__ = ("future", "woken")

    def __init__(self) -> None:
        self.woken = False
        self.future: asyncio.Future[None] | None = None

    def wake(self) -> None:
        self.woken = True
        _done(self.future)

    async def sleep(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """Until woken, or `seconds` at most."""
        self.future = future = loop.create_future()
        timer = loop.call_later(seconds, _done, future)
        try:
            await future
        finally:
            timer.cancel()
            self.future = None


def _done(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class WebChatDelivery:
    """flows.engine.ports.Delivery for channel "web": into the session's mailbox."""

    def __init__(self, mailboxes: Mailboxes) -> None:
        self.mailboxes = mailboxes

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        """Posted again when a process that died had posted it already: the mailbox keeps
        one copy per notice key, so nothing is ever in doubt (no `attempt.sending`)."""
        if outbound.key.channel != CHANNEL:
            raise ValueError(f"not a web chat conversation: {outbound.key.channel}")
        await self.mailboxes.post(outbound)
