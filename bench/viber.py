"""`make bench-viber`: thousands of Viber users registering at once, against Telegram.

The local Viber API server (tests/fakes) plays Viber: simulated users send signed
callbacks, each waiting for the bot's answer before the next, as people do. Our bot runs in
a process of its own, built like `ecitizen serve` (the app, its outbox worker, our aiohttp
server with the Viber callback route, the webhook set at start-up). Every user goes
through the whole registration (bench/dialogue.py: language, "Become an eCitizen", intro,
consent, names, JMBG (a quarter mistype it once), ID card, phone, skip e-mail, hall,
without an appointment, submit).

Three runs, each on a fresh bot process and database:
- Telegram: the same users and dialogue through our Telegram channel and the local Bot
  API server (bench/telegram.py's bot process), sending uncapped: updates handled per
  second at saturation.
- Viber: the same, through our Viber channel, sending uncapped.
- Viber paced: callbacks at a steady 50 per second (the load generator in this process,
  the bot in its own, at Viber's production limits); the reply time of each callback is
  measured from its scheduled time.

Lost: a user whose registration did not complete. Duplicated: a reply received twice in
a row, or a registration stored twice. The last line is machine-readable:
`viber_updates_per_s=<n> lost=<n> duplicated=<n> reply_p99_ms=<ms>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from aiohttp import web

from bench.dialogue import User, make_users, script
from bench.telegram import ROOT, UNCAPPED, start_bot, stop_bot
from bot.viber import VIBER_LIMITS, ViberChannel
from ecitizen.app import build_app
from ecitizen.config import parse_config
from ecitizen.server import build_web, start_viber
from flows.records import RegistrationStatus
from state import open_store
from tests.fakes.bot_api_server import FakeBotApi
from tests.fakes.bot_api_users import BotMessage, FakeUser
from tests.fakes.viber_api import FakeViberApi, ViberUser

SECRET = "a benchmark secret shared by every process"
WARM_UP = 100  # users played first in each bot process, not timed


@dataclass
class Run:
    name: str
    users: int
    updates: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # the bot process's CPU time (all threads) over the timed part
    finished: int = 0
    duplicated: int = 0
    reply_s: list[float] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.users - self.finished

    @property
    def rate(self) -> float:
        return self.updates / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.cpu_s / self.updates if self.updates else float("nan")

    def quantile_ms(self, q: float) -> float:
        if not self.reply_s:
            return float("nan")
        ordered = sorted(self.reply_s)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the Viber bot, in its own process, built like `ecitizen serve` -------------------------


async def serve_bot(api_url: str, token: str, data: str, port: int, capped: bool) -> int:
    config = parse_config(
        {
            "data": {"dir": data},
            "server": {"port": port},
            "links": {"secret": SECRET},
            "viber": {"token": token, "api_url": api_url, "public_url": f"http://127.0.0.1:{port}"},
        }
    )
    app = await build_app(config)
    settings = config.viber
    channel = ViberChannel(
        app,
        settings.token,
        public_url=settings.public_url,
        secret=app.secret,
        store=app.store,
        api_url=settings.api_url,
        limits=VIBER_LIMITS if capped else UNCAPPED,
        max_running=1024,
    )
    server = build_web(app, viber=channel)
    runner = web.AppRunner(server.web, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
    await start_viber(server)
    app.start_workers()
    print("ready", flush=True)
    while await asyncio.to_thread(sys.stdin.readline):
        pass
    await runner.cleanup()
    await app.close()
    await channel.stop()
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_viber_bot(api: FakeViberApi, data: str, capped: bool) -> asyncio.subprocess.Process:
    port = free_port()
    args = ["--bot", "--api-url", api.url, "--token", api.token, "--data", data]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.viber",
        *args,
        "--port",
        str(port),
        *([] if capped else ["--no-cap"]),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    ready = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if ready.strip() != b"ready":
        raise RuntimeError(f"the Viber bot process did not start: {ready!r}")
    return proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def registrations(data: str) -> int:
    store = await open_store(f"sqlite:///{Path(data) / 'ecitizen.db'}", run_migrations=False)
    try:
        total = 0
        for hall in ("kg", "bg", "ns"):
            total += len(await store.registrations_at(hall, list(RegistrationStatus)))
        return total
    finally:
        await store.close()


# -- the people: the dialogue through each messenger -------------------------------------


class Done(Exception):
    """A user who could not go on (no such button on screen): lost."""


async def play_viber(person: ViberUser, user: User, timed: list[float]) -> bool:
    for say in script(user):
        start = time.monotonic()
        if say.kind == "start":
            status = await person.open_chat()
        elif say.kind == "choice":
            status = await person.send_text(viber_label(person, say.value))
        else:
            status = await person.send_text(say.value)
        if status != 200:
            return False
        timed.append(time.monotonic() - start)
    last = person.last()
    return last is not None and _registered(last.text)


def _registered(text: str) -> bool:
    return any(word in text for word in ("Пријава је примљена", "Prijava je primljena", "received"))


def viber_label(person: ViberUser, choice: str) -> str:
    """What the button of that choice sends: its tracking data says (label -> choice)."""
    last = person.last()
    keys = json.loads(last.tracking) if last is not None and last.tracking else {}
    for label, chosen in dict(keys.get("c", {})).items():
        if chosen == choice:
            return str(label)
    raise Done(f"no button for {choice!r}")


class Inbox(list[BotMessage]):
    """A Telegram user's chat that says when a message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def append(self, message: BotMessage) -> None:
        super().append(message)
        self.arrived.set()


async def _arrival(inbox: Inbox, after: int, wait_s: float = 120.0) -> None:
    async with asyncio.timeout(wait_s):
        while len(inbox) <= after:
            inbox.arrived.clear()
            await inbox.arrived.wait()


async def play_telegram(person: FakeUser, user: User, timed: list[float]) -> bool:
    inbox = person.inbox
    assert isinstance(inbox, Inbox)
    for say in script(user):
        if say.kind == "choice":
            message = await _with_button(inbox, say.value)  # the reply's last part came
            before, start = len(inbox), time.monotonic()
            person.press_inline(message, say.value)
        else:
            before, start = len(inbox), time.monotonic()
            await person.send_text(say.value)
        await _arrival(inbox, before)
        timed.append(time.monotonic() - start)
    return any(_registered(m.text) for m in inbox[before:])


async def _with_button(inbox: Inbox, data: str) -> BotMessage:
    """The latest message with that button (the reply may still be on its way)."""
    async with asyncio.timeout(120):
        while True:
            for message in reversed(inbox):
                if any(d == data for _, d in message.inline_buttons):
                    return message
            inbox.arrived.clear()
            await inbox.arrived.wait()


def repeats(texts: list[tuple[str, str]]) -> int:
    """Replies received twice in a row (a replayed reply looks exactly like this)."""
    return sum(1 for a, b in pairwise(texts) if a == b)


async def everyone(
    players: list[Callable[[list[float]], Awaitable[bool]]],
) -> tuple[int, list[float]]:
    timed: list[float] = []

    async def one(play: Callable[[list[float]], Awaitable[bool]]) -> bool:
        try:
            return await play(timed)
        except (Done, TimeoutError, AssertionError):
            return False

    done = await asyncio.gather(*(one(p) for p in players))
    return sum(done), timed


# -- the runs ---------------------------------------------------------------------------


async def telegram_run(users: list[User]) -> Run:
    run = Run("telegram", len(users))
    warm = make_users(WARM_UP + len(users))[len(users) :]
    async with FakeBotApi() as api:
        with tempfile.TemporaryDirectory(prefix="bench-viber-tg-") as data:
            proc = await start_bot(api, data, capped=False)
            people = {}
            for u in users + warm:
                person = api.user(u.first_name, language_code=None)
                person.inbox = Inbox()
                people[u.index] = person
            await everyone([_tg(people[u.index], u) for u in warm])
            before = cpu_seconds(proc.pid)
            start = time.monotonic()
            run.finished, run.reply_s = await everyone([_tg(people[u.index], u) for u in users])
            run.elapsed_s = time.monotonic() - start
            run.cpu_s = cpu_seconds(proc.pid) - before
            await stop_bot(proc)
            run.updates = len(run.reply_s)
            texts = [[(m.text, json.dumps(m.markup)) for m in people[u.index].inbox] for u in users]
            run.duplicated = sum(repeats(t) for t in texts)
            run.duplicated += max(0, await registrations(data) - run.finished - WARM_UP)
    return run


def _tg(person: FakeUser, user: User) -> Callable[[list[float]], Awaitable[bool]]:
    return lambda timed: play_telegram(person, user, timed)


def _vb(person: ViberUser, user: User) -> Callable[[list[float]], Awaitable[bool]]:
    return lambda timed: play_viber(person, user, timed)


async def viber_run(users: list[User]) -> Run:
    run = Run("viber", len(users))
    warm = make_users(WARM_UP + len(users))[len(users) :]
    async with FakeViberApi(connections=1024, retry_for_s=600) as api:
        with tempfile.TemporaryDirectory(prefix="bench-viber-") as data:
            proc = await start_viber_bot(api, data, capped=False)
            people = {u.index: api.user(u.first_name, language=None) for u in users + warm}
            await everyone([_vb(people[u.index], u) for u in warm])
            before = cpu_seconds(proc.pid)
            start = time.monotonic()
            run.finished, run.reply_s = await everyone([_vb(people[u.index], u) for u in users])
            run.elapsed_s = time.monotonic() - start
            run.cpu_s = cpu_seconds(proc.pid) - before
            await stop_bot(proc)
            run.updates = len(run.reply_s)
            texts = [
                [(m.text, json.dumps(m.keyboard)) for m in people[u.index].inbox] for u in users
            ]
            run.duplicated = sum(repeats(t) for t in texts)
            run.duplicated += max(0, await registrations(data) - run.finished - WARM_UP)
    return run


async def paced_run(users: list[User], rate: float) -> Run:
    """Callbacks at a steady `rate`: each slot goes to the next person whose previous
    answer came; the reply time counts from the slot's scheduled time."""
    run = Run("viber-paced", len(users))
    async with FakeViberApi(connections=1024, retry_for_s=600) as api:
        with tempfile.TemporaryDirectory(prefix="bench-viber-paced-") as data:
            proc = await start_viber_bot(api, data, capped=True)
            ready: asyncio.Queue[tuple[ViberUser, User, int]] = asyncio.Queue()
            people = {u.index: api.user(u.first_name, language=None) for u in users}
            for u in users:
                ready.put_nowait((people[u.index], u, 0))
            scripts = {u.index: script(u) for u in users}
            pending: set[asyncio.Task[None]] = set()
            stuck: set[int] = set()

            async def step(person: ViberUser, user: User, n: int, scheduled: float) -> None:
                say = scripts[user.index][n]
                try:
                    if say.kind == "start":
                        status = await person.open_chat()
                    elif say.kind == "choice":
                        status = await person.send_text(viber_label(person, say.value))
                    else:
                        status = await person.send_text(say.value)
                except Done:
                    stuck.add(user.index)
                    return
                run.reply_s.append(time.monotonic() - scheduled)
                if status == 200 and n + 1 < len(scripts[user.index]):
                    ready.put_nowait((person, user, n + 1))
                elif status != 200:
                    stuck.add(user.index)

            start = time.monotonic()
            before = cpu_seconds(proc.pid)
            slot = 0
            while pending or not ready.empty():
                scheduled = start + slot / rate
                slot += 1
                delay = scheduled - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if ready.empty():
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    pending = {t for t in pending if not t.done()}
                    continue
                person, user, n = ready.get_nowait()
                task = asyncio.create_task(step(person, user, n, scheduled))
                pending.add(task)
                pending = {t for t in pending if not t.done()}
            run.elapsed_s = time.monotonic() - start
            run.cpu_s = cpu_seconds(proc.pid) - before
            await stop_bot(proc)
            run.updates = len(run.reply_s)
            run.finished = sum(
                1
                for u in users
                if u.index not in stuck
                and (last := people[u.index].last()) is not None
                and _registered(last.text)
            )
            texts = [
                [(m.text, json.dumps(m.keyboard)) for m in people[u.index].inbox] for u in users
            ]
            run.duplicated = sum(repeats(t) for t in texts)
    return run


def report(tg: Run, vb: Run, paced: Run) -> float:
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    for run in (tg, vb):
        print(
            f"{run.name}: {run.users} users registered at once, {run.updates} updates in "
            f"{run.elapsed_s:.1f} s = {run.rate:.0f} updates/s; bot CPU "
            f"{run.cpu_ms_per_update:.2f} ms/update; reply p50 {run.quantile_ms(0.5):.0f} ms, "
            f"p99 {run.quantile_ms(0.99):.0f} ms; lost {run.lost}, duplicated {run.duplicated}"
        )
    print(
        f"viber paced at {paced.updates / paced.elapsed_s:.1f} callbacks/s ({paced.users} users, "
        f"{paced.updates} callbacks, Viber's production send limits): reply p50 "
        f"{paced.quantile_ms(0.5):.1f} ms, p99 {paced.quantile_ms(0.99):.1f} ms, max "
        f"{paced.quantile_ms(1.0):.1f} ms; bot CPU {paced.cpu_ms_per_update:.2f} ms/update; "
        f"lost {paced.lost}, duplicated {paced.duplicated}"
    )
    ratio = vb.rate / tg.rate if tg.rate else float("nan")
    cpu_ratio = tg.cpu_ms_per_update / vb.cpu_ms_per_update
    print(f"viber/telegram={ratio:.2f} (updates/s); by CPU per update {cpu_ratio:.2f}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.viber", description=__doc__)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--paced-users", type=int, default=150)
    p.add_argument("--rate", type=float, default=50.0, help="callbacks/s of the paced run")
    p.add_argument("--quick", action="store_true", help="300 users, 60 paced")
    p.add_argument("--bot", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--api-url", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--no-cap", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.bot:
        return asyncio.run(
            serve_bot(args.api_url, args.token, args.data, args.port, not args.no_cap)
        )
    users, paced_users = (300, 60) if args.quick else (args.users, args.paced_users)
    people = make_users(users)
    tg = asyncio.run(telegram_run(people))
    vb = asyncio.run(viber_run(people))
    paced = asyncio.run(paced_run(make_users(paced_users), args.rate))
    report(tg, vb, paced)
    lost = vb.lost + paced.lost
    duplicated = vb.duplicated + paced.duplicated
    print(
        f"viber_updates_per_s={vb.rate:.0f} lost={lost} duplicated={duplicated} "
        f"reply_p99_ms={paced.quantile_ms(0.99):.1f}"
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
