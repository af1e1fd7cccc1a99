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
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bench.dialogue import Say, User, make_users, script
from bench.telegram import ROOT, UNCAPPED, start_bot, stop_bot
from bench.viber_people import (
    Done,
    Inbox,
    Player,
    everyone,
    registered,
    repeats,
    telegram_player,
    viber_label,
    viber_player,
)
from bot.viber import VIBER_LIMITS, ViberChannel
from ecitizen.app import build_app
from ecitizen.config import parse_config
from ecitizen.server import build_web, start_viber
from flows.domain.lifecycle import RegistrationStatus
from state import open_store
from tests.fakes.bot_api_server import FakeBotApi
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


# -- the runs ---------------------------------------------------------------------------


async def timed_run(
    run: Run, proc: asyncio.subprocess.Process, warm: list[Player], players: list[Player]
) -> None:
    """The warm-up users first, untimed; then everyone at once, timed."""
    await everyone(warm)
    before = cpu_seconds(proc.pid)
    start = time.monotonic()
    run.finished, run.reply_s = await everyone(players)
    run.elapsed_s = time.monotonic() - start
    run.cpu_s = cpu_seconds(proc.pid) - before
    run.updates = len(run.reply_s)


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
            await timed_run(
                run,
                proc,
                [telegram_player(people[u.index], u) for u in warm],
                [telegram_player(people[u.index], u) for u in users],
            )
            await stop_bot(proc)
            chats = [[(m.text, json.dumps(m.markup)) for m in people[u.index].inbox] for u in users]
            run.duplicated = sum(repeats(chat) for chat in chats)
            run.duplicated += max(0, await registrations(data) - run.finished - WARM_UP)
    return run


async def viber_run(users: list[User]) -> Run:
    run = Run("viber", len(users))
    warm = make_users(WARM_UP + len(users))[len(users) :]
    async with FakeViberApi(connections=1024, retry_for_s=600) as api:
        with tempfile.TemporaryDirectory(prefix="bench-viber-") as data:
            proc = await start_viber_bot(api, data, capped=False)
            people = {u.index: api.user(u.first_name, language=None) for u in users + warm}
            await timed_run(
                run,
                proc,
                [viber_player(people[u.index], u) for u in warm],
                [viber_player(people[u.index], u) for u in users],
            )
            await stop_bot(proc)
            run.duplicated = duplicated_in_viber([people[u.index] for u in users])
            run.duplicated += max(0, await registrations(data) - run.finished - WARM_UP)
    return run


def duplicated_in_viber(people: list[ViberUser]) -> int:
    return sum(
        repeats([(m.text, json.dumps(m.keyboard)) for m in person.inbox]) for person in people
    )


@dataclass
class Paced:
    """The paced run's people: who may send their next message, and who got stuck."""

    people: dict[int, ViberUser]
    scripts: dict[int, list[Say]]
    ready: asyncio.Queue[tuple[int, int]] = field(default_factory=asyncio.Queue)
    stuck: set[int] = field(default_factory=set)
    reply_s: list[float] = field(default_factory=list)

    async def step(self, who: int, n: int, scheduled: float) -> None:
        """One callback; its reply time counts from its scheduled time."""
        person, say = self.people[who], self.scripts[who][n]
        try:
            if say.kind == "start":
                status = await person.open_chat()
            elif say.kind == "choice":
                status = await person.send_text(viber_label(person, say.value))
            else:
                status = await person.send_text(say.value)
        except Done:
            self.stuck.add(who)
            return
        self.reply_s.append(time.monotonic() - scheduled)
        if status != 200:
            self.stuck.add(who)
        elif n + 1 < len(self.scripts[who]):
            self.ready.put_nowait((who, n + 1))

    async def play(self, rate: float) -> None:
        """A slot every 1/rate s goes to the next person whose previous answer came."""
        for who in self.people:
            self.ready.put_nowait((who, 0))
        pending: set[asyncio.Task[None]] = set()
        start, slot = time.monotonic(), 0
        while pending or not self.ready.empty():
            scheduled = start + slot / rate
            slot += 1
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.ready.empty():  # nobody may write now: wait for an answer
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            else:
                who, n = self.ready.get_nowait()
                pending.add(asyncio.create_task(self.step(who, n, scheduled)))
            pending = {t for t in pending if not t.done()}


async def paced_run(users: list[User], rate: float) -> Run:
    run = Run("viber-paced", len(users))
    async with FakeViberApi(connections=1024, retry_for_s=600) as api:
        with tempfile.TemporaryDirectory(prefix="bench-viber-paced-") as data:
            proc = await start_viber_bot(api, data, capped=True)
            paced = Paced(
                {u.index: api.user(u.first_name, language=None) for u in users},
                {u.index: script(u) for u in users},
            )
            before = cpu_seconds(proc.pid)
            start = time.monotonic()
            await paced.play(rate)
            run.elapsed_s = time.monotonic() - start
            run.cpu_s = cpu_seconds(proc.pid) - before
            await stop_bot(proc)
            run.reply_s, run.updates = paced.reply_s, len(paced.reply_s)
            run.finished = sum(
                1
                for who, person in paced.people.items()
                if who not in paced.stuck and (last := person.last()) and registered(last.text)
            )
            run.duplicated = duplicated_in_viber(list(paced.people.values()))
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
