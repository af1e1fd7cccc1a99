"""A server dies while a notice is on its way to Telegram, which has no idempotency key:
whether the person got it nobody can know. The server that takes the notice over does
what the notice says (flows.engine.notify.InDoubt), and nothing else is repeated or lost.

The fake Bot API holds the first two sends of `ecitizen serve` (a citizen's notice and
an officer's), then kills the server with SIGKILL: either after accepting both (the
people have them) or before (they never reached Telegram). Another server is started on
the same database (a restart on SQLite, a peer on PostgreSQL) and takes over:
- the citizen's notice, which they must not miss, is sent again, ending with a line that
  says so; their next notice, which waited behind it, follows once, in order;
- the officer's arrival notice, which their queue shows anyway, is not sent again and is
  marked "uncertain".
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from flows.engine.i18n import text
from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import SENT_AGAIN, InDoubt, notify
from flows.engine.records import Unit
from state import open_store
from tests.ecitizen.cluster import Server, make_servers
from tests.fakes.bot_api_server import FakeBotApi
from tests.postgres import database_url

CLAIM_S = 2.0  # [outbox] claim_seconds: the takeover comes this soon
SOON = text("notify.soon", "en", places="2", ticket="A017")
CALLED = text("notify.called", "en", ticket="A017", counter="2")
ARRIVED = text("notify.checked_in", "en", ref="KG7Q-2A9F", ticket="A017")
AGAIN = text(SENT_AGAIN, "en")


def config(tmp: Path, url: str, api: FakeBotApi) -> dict[str, Any]:
    return {
        "data": {"dir": str(tmp / "var"), "database": url},
        "outbox": {"claim_seconds": CLAIM_S},
        "telegram": {
            "token": api.token,
            "api_url": api.url,
            "mode": "webhook",
            "webhook_url": "http://127.0.0.1:9/telegram/webhook",
            "webhook_secret": "in-doubt",
        },
    }


class DiesWhileSending:
    """The first `sends` sends are held until all of them arrived; then the server that
    sent them is killed, `accepted` (Telegram had them) or not. Later sends go through."""

    def __init__(self, server: Server, sends: int) -> None:
        self.server = server
        self.sends = sends
        self.arrived = 0
        self.all_arrived = asyncio.Event()
        self.killed = asyncio.Event()

    async def _kill_once_all_arrived(self) -> None:
        self.arrived += 1
        if self.arrived >= self.sends:
            self.all_arrived.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await self.all_arrived.wait()
        if not self.killed.is_set():
            self.killed.set()
            await self.server.kill()

    async def before_accepting(self, _: dict[str, Any]) -> bool:
        if self.killed.is_set():
            return True
        await self._kill_once_all_arrived()
        return False  # never reached Telegram

    async def after_accepting(self, _: dict[str, Any]) -> None:
        if not self.killed.is_set():
            await self._kill_once_all_arrived()


async def outbox_states(url: str) -> dict[str, str]:
    store = await open_store(url)
    try:
        rows = await store._db.fetch("SELECT idempotency_key, status FROM outbox")
    finally:
        await store.close()
    return {str(row[0]).split(":")[0]: str(row[1]) for row in rows}


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "not-accepted"])
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_notice_on_its_way_when_its_server_dies_is_resent_or_given_up_as_it_says(
    tmp_path: Path, kind: str, accepted: bool
) -> None:
    async with database_url(kind, tmp_path) as url, FakeBotApi() as api:
        first, second = make_servers(tmp_path, ["first", "second"], config(tmp_path, url, api))
        ana, mira = api.user("Ана"), api.user("Мира")
        dies = DiesWhileSending(first, sends=2)
        if accepted:
            api.after_send = dies.after_accepting
        else:
            api.before_send = dies.before_accepting
        try:
            await first.start()
            await first.ready()
            await queue_notices(url, citizen=ana.id, officer=mira.id)
            async with asyncio.timeout(60):
                await dies.killed.wait()
            await second.start()
            await second.ready()
            await api.wait_until(lambda: len(ana.inbox) == (3 if accepted else 2), wait_s=60)
            await asyncio.sleep(CLAIM_S * 2)  # time enough for anything else to arrive
        finally:
            for server in (first, second):
                await server.stop()

        resent = f"{SOON}\n\n{AGAIN}"
        got = [m.text for m in ana.inbox]
        assert got == ([SOON, resent, CALLED] if accepted else [resent, CALLED])
        assert [m.text for m in mira.inbox] == ([ARRIVED] if accepted else [])
        states = await outbox_states(url)
        assert states == {"soon": "done", "called": "done", "checkin": "uncertain"}
        assert "sent again, saying so" in second.log()
        assert "not sent again (at most once)" in second.log()


async def queue_notices(url: str, citizen: int, officer: int) -> None:
    """What an officer's call and a check-in would write: the citizen's "your turn is
    coming" and "your ticket is called" (in that order), and an officer's "arrived"."""
    ana = ConversationKey("telegram", str(citizen))
    mira = ConversationKey("telegram", str(officer))
    soon = Msg.of("notify.soon", places="2", ticket="A017")
    called = Msg.of("notify.called", ticket="A017", counter="2")
    arrived = Msg.of("notify.checked_in", ref="KG7Q-2A9F", ticket="A017")
    store = await open_store(url)
    try:
        await store.apply(
            Unit(
                effects=[
                    notify(ana, "en", [soon], "soon", in_doubt=InDoubt.RESEND),
                    notify(ana, "en", [called], "called", in_doubt=InDoubt.RESEND),
                    notify(mira, "en", [arrived], "checkin", in_doubt=InDoubt.DROP),
                ]
            )
        )
    finally:
        await store.close()
