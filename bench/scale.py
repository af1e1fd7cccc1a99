"""`make bench-scale`: the durable engine on PostgreSQL beside SQLite, and 1-3 processes.

The registration dialogue of `make bench` (bench/dialogue.py) is played by simulated
citizens against the engine (`build_app`, `App.handle`, every reply released only after its
unit committed) in these set-ups:

- sqlite-full, sqlite-normal: one process on an SQLite file, synchronous FULL and NORMAL;
- pg-1, pg-2, pg-3: one, two and three OS processes on one PostgreSQL database, each
  playing its share of the citizens (the same dialogues, the same total in flight).

Every pass gets a fresh database (a new temporary directory, a new PostgreSQL schema).
Each worker process warms up on citizens of its own before the clock starts; all start
together. The set-ups run in rotated order, round after round; medians are reported.
CPU per message counts every thread of the worker processes, and the PostgreSQL server
processes that served their connections are shown apart. Afterwards the database is
checked: a message whose reply came back but whose unit is not there is lost;
registrations, tickets or outbox rows beyond what the dialogues make are duplicated.

The last line: `pg/sqlite=<r> full/normal=<r> procs3/procs1=<r> lost=<n> duplicated=<n>`.
Each ratio is the median of the rounds' ratios (a round's passes run close together), and
each says how much work one machine gets done with the first set-up for the second's:
- pg/sqlite and procs3/procs1 by CPU per message, the workers' and the PostgreSQL
  server's together (on a machine the load keeps busy, the cores are what is shared, and
  CPU time is what other work on the machine disturbs least);
- full/normal by messages per second: a sync at commit is time waited, not CPU spent, so
  only the throughput shows whether group commit hides it.
The other measure of each is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.dialogue import User, clock, drive, make_users, render_reply, script, warm_catalogs
from bench.ours import CHANNEL, inbound
from ecitizen.app import build_app
from ecitizen.config import parse_config
from state.db import connect

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "ECITIZEN_BENCH_PG"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
SETUPS: dict[str, tuple[str, int]] = {  # name: (database, processes)
    "sqlite-full": ("full", 1),
    "sqlite-normal": ("normal", 1),
    "pg-1": ("pg", 1),
    "pg-2": ("pg", 2),
    "pg-3": ("pg", 3),
}
SECRET = "bench-scale-link-secret-shared-by-all"  # several processes share one


def worker_config(database: str, data_dir: str) -> dict[str, Any]:
    raw: dict[str, Any] = {"data": {"dir": data_dir}, "links": {"secret": SECRET}}
    if database.startswith("postgresql:"):
        raw["data"]["database"] = database
    else:
        raw["database"] = {"synchronous": database}
    return raw


# -- a worker process: one engine, its share of the citizens ---------------------------


MESSAGES_PER_USER = 64  # message ids: the user's index times this, plus the message's


async def play(users: Sequence[User], app: Any, in_flight: int) -> list[int]:
    """Plays the users' dialogues; returns how many replies came back, per user. Message
    ids are unique across every process, as a platform's are."""
    inbounds = [
        [inbound(u, u.index * MESSAGES_PER_USER + i, say) for i, say in enumerate(script(u))]
        for u in users
    ]
    replied = [0] * len(users)

    async def send(user: int, index: int) -> None:
        outs = await app.handle(inbounds[user][index])
        for out in outs:
            render_reply(out.text, out.choices, out.language)
        replied[user] += bool(outs)

    await drive(send, [len(r) for r in inbounds], in_flight)
    return replied


async def worker(args: argparse.Namespace) -> None:
    users = make_users(args.total)
    mine = users[args.first : args.last]
    warm = users[args.warm_first : args.warm_last]
    config = parse_config(worker_config(args.database, args.data_dir))
    app = await build_app(config, clock=clock)
    await play(warm, app, args.in_flight)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.to_thread(sys.stdin.readline)  # "go"
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic_ns()
    replied = await play(mine, app, args.in_flight)
    end, after = time.monotonic_ns(), resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "start": start,
        "end": end,
        "user": after.ru_utime - before.ru_utime,  # every thread of the process
        "system": after.ru_stime - before.ru_stime,
        "switches": after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw,
        "preempted": after.ru_nivcsw - before.ru_nivcsw,  # the others' turn on the core
        "replied": replied,
        "first": args.first,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    # Closing ends the server's processes for our connections: the parent reads their CPU
    # time first.
    await asyncio.to_thread(sys.stdin.readline)  # "close"
    await app.close()


# -- the parent: databases, processes, checks ------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc); 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends(run: Run, schema: str | None) -> dict[int, float]:
    """The PostgreSQL server processes serving this pass's connections (found by their
    application_name; other clients of the same server are left out), and their CPU time."""
    if schema is None:
        return {}
    rows = await run.admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1", schema
    )
    return {int(r[0]): cpu_seconds(int(r[0])) for r in rows}


@dataclass
class Pass:
    setup: str
    messages: int
    wall_s: float
    user_s: float
    system_s: float
    switches: int
    preempted: int  # of the switches, those where a runnable worker had to give way
    server_cpu_s: float
    lost: int
    duplicated: int
    load: float  # the machine's 1-minute load average at the end of the pass

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.system_s

    @property
    def per_second(self) -> float:
        return self.messages / self.wall_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.messages * 1e6

    @property
    def total_us(self) -> float:
        return self.cpu_us + self.server_us

    @property
    def system_us(self) -> float:
        return self.system_s / self.messages * 1e6

    @property
    def server_us(self) -> float:
        return self.server_cpu_s / self.messages * 1e6


@dataclass
class Run:
    users: int
    warm_users: int
    in_flight: int
    pg_admin: str
    # held for the whole run: on a server others use too, a connection asked for between
    # passes can be refused (max_connections), and a schema would be left behind
    admin: Any = None
    expected: dict[str, int] = field(default_factory=dict)  # rows per citizen, by table


async def fresh_database(run: Run, kind: str, tmp: str) -> tuple[str, str | None]:
    if kind != "pg":
        return kind, None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    await run.admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in run.pg_admin else "?"
    return f"{run.pg_admin}{sep}search_path={schema}&application_name={schema}", schema


async def drop_schema(run: Run, schema: str | None) -> None:
    if schema is not None:
        await run.admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def shares(count: int, parts: int) -> list[tuple[int, int]]:
    bounds = [count * i // parts for i in range(parts + 1)]
    return list(itertools.pairwise(bounds))


async def start_workers(
    run: Run, database: str, data_dir: str, processes: int
) -> list[asyncio.subprocess.Process]:
    measured = shares(run.users, processes)
    warm = shares(run.warm_users, processes)
    procs = []
    for i in range(processes):
        args = [sys.executable, "-m", "bench.scale", "--worker", "--index", str(i)]
        args += ["--total", str(run.users + run.warm_users), "--database", database]
        args += ["--data-dir", data_dir, "--in-flight", str(max(1, run.in_flight // processes))]
        args += ["--first", str(measured[i][0]), "--last", str(measured[i][1])]
        w0, w1 = (run.users + w for w in warm[i])
        args += ["--warm-first", str(w0), "--warm-last", str(w1)]
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        procs.append(proc)
        if i == 0:  # the first one migrates the fresh database alone
            await expect_line(proc, "ready")
    for proc in procs[1:]:
        await expect_line(proc, "ready")
    return procs


async def expect_line(proc: asyncio.subprocess.Process, want: str | None = None) -> str:
    assert proc.stdout is not None
    line = (await proc.stdout.readline()).decode().strip()
    if not line or (want is not None and line != want):
        raise RuntimeError(f"a worker stopped: {line!r}")
    return line


async def one_pass(run: Run, setup: str) -> Pass:
    kind, processes = SETUPS[setup]
    with tempfile.TemporaryDirectory(prefix="ecitizen-scale-") as tmp:
        database, schema = await fresh_database(run, kind, tmp)
        try:
            procs = await start_workers(run, database, tmp, processes)
            server0 = await backends(run, schema)
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            results = [json.loads(await expect_line(p)) for p in procs]
            server1 = await backends(run, schema)
            server = sum(cpu - server0.get(pid, 0.0) for pid, cpu in server1.items())
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"close\n")
                await proc.stdin.drain()
            for proc in procs:
                await proc.wait()
            url = database if kind == "pg" else f"sqlite:///{tmp}/ecitizen.db"
            lost, duplicated = await check(run, url, results)
        finally:
            await drop_schema(run, schema)
    messages = sum(sum(r["replied"]) for r in results)
    wall = (max(r["end"] for r in results) - min(r["start"] for r in results)) / 1e9
    user, system = sum(r["user"] for r in results), sum(r["system"] for r in results)
    switches = sum(r["switches"] for r in results)
    preempted = sum(r["preempted"] for r in results)
    load = os.getloadavg()[0]
    return Pass(
        setup, messages, wall, user, system, switches, preempted, server, lost, duplicated, load
    )


async def table_counts(url: str) -> dict[str, int]:
    db = await connect(url)
    try:
        found = {}
        for table in ("registrations", "tickets", "outbox"):
            row = await db.fetchrow(f"SELECT count(*) FROM {table}")
            found[table] = int(row[0]) if row is not None else 0
        return found
    finally:
        await db.close()


async def check(run: Run, url: str, results: list[dict[str, Any]]) -> tuple[int, int]:
    """Lost: replies that came back beyond the units the database holds (each message's
    unit moves the citizen's conversation version by one), and submitted citizens with no
    registration. Duplicated: rows beyond what the dialogues make."""
    db = await connect(url)
    try:
        rows = await db.fetch(
            "SELECT user_key, version FROM conversations WHERE channel = $1", CHANNEL
        )
        versions = {str(r[0]): int(r[1]) for r in rows}
        jmbgs = {str(r[0]) for r in await db.fetch("SELECT jmbg FROM registrations")}
    finally:
        await db.close()
    users = make_users(run.users)
    lost = 0
    for result in results:
        for offset, replied in enumerate(result["replied"]):
            user = users[result["first"] + offset]
            lost += max(0, replied - versions.get(str(100_000 + user.index), 0))
            if replied == len(script(user)) and user.jmbg not in jmbgs:
                lost += 1
    counts = await table_counts(url)
    citizens = run.users + run.warm_users
    duplicated = sum(max(0, counts[t] - run.expected[t] * citizens) for t in counts)
    return lost, duplicated


async def calibrate(run: Run) -> None:
    """Rows one citizen's dialogue makes in each checked table (one citizen per hall)."""
    users = make_users(3)
    with tempfile.TemporaryDirectory(prefix="ecitizen-scale-") as tmp:
        app = await build_app(parse_config(worker_config("full", tmp)), clock=clock)
        await play(users, app, 1)
        await app.close()
        counts = await table_counts(f"sqlite:///{tmp}/ecitizen.db")
    if any(n % len(users) for n in counts.values()):
        raise RuntimeError(f"the dialogues do not make the same rows each: {counts}")
    run.expected = {t: n // len(users) for t, n in counts.items()}


async def pg_settings(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        names = (
            "server_version",
            "fsync",
            "synchronous_commit",
            "shared_buffers",
            "max_connections",
        )
        values = [f"{n}={await conn.fetchval(f'SHOW {n}')}" for n in names]
        return ", ".join(values)
    finally:
        await conn.close()


# -- rounds and the report -------------------------------------------------------------


def throughput_ratio(passes: dict[str, list[Pass]], ours: str, theirs: str) -> float:
    pairs = zip(passes[ours], passes[theirs], strict=True)
    return statistics.median(a.per_second / b.per_second for a, b in pairs)


def cpu_ratio(passes: dict[str, list[Pass]], ours: str, theirs: str) -> float:
    """Messages per CPU second, ours over theirs (the workers' and the server's CPU)."""
    pairs = zip(passes[ours], passes[theirs], strict=True)
    return statistics.median(b.total_us / a.total_us for a, b in pairs)


COMPARED = (
    ("pg-1", "sqlite-full"),
    ("sqlite-full", "sqlite-normal"),
    ("pg-2", "pg-1"),
    ("pg-3", "pg-1"),
)


def report(passes: dict[str, list[Pass]]) -> None:
    print("\n| set-up | processes | msg/s | CPU us/msg: workers (all threads) | PG server | both |")
    print("|---|---:|---:|---:|---:|---:|")
    for setup, done in passes.items():
        rate = statistics.median(p.per_second for p in done)
        cpu = statistics.median(p.cpu_us for p in done)
        server = statistics.median(p.server_us for p in done)
        both = statistics.median(p.cpu_us + p.server_us for p in done)
        cells = [setup, str(SETUPS[setup][1]), f"{rate:,.0f}", f"{cpu:.0f}", f"{server:.0f}"]
        print("| " + " | ".join([*cells, f"{both:.0f}"]) + " |")
    for ours, theirs in COMPARED:
        if ours in passes and theirs in passes:
            pairs = list(zip(passes[ours], passes[theirs], strict=True))
            rates = ", ".join(f"{a.per_second / b.per_second:.2f}" for a, b in pairs)
            cpus = ", ".join(f"{b.total_us / a.total_us:.2f}" for a, b in pairs)
            print(f"{ours}/{theirs} per round: by msg/s {rates}; by CPU per message {cpus}")


async def run_rounds(run: Run, rounds: int, names: list[str]) -> dict[str, list[Pass]]:
    passes: dict[str, list[Pass]] = {s: [] for s in names}
    for round_ in range(rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for setup in order:
            done = await one_pass(run, setup)
            passes[setup].append(done)
            print(
                f"  round {round_ + 1} {setup:13} {done.per_second:6,.0f} msg/s"
                f"  CPU {done.cpu_us:4.0f} us/msg (system {done.system_us:3.0f},"
                f" {done.switches / done.messages:4.1f} switches,"
                f" {done.preempted / done.messages:4.1f} preempted)"
                f"  PG server {done.server_us:4.0f} us/msg"
                f"  lost {done.lost} duplicated {done.duplicated}  load {done.load:.1f}",
                flush=True,
            )
    return passes


async def parent(args: argparse.Namespace) -> int:
    run = Run(args.users, args.warm_users, args.in_flight, os.environ.get(PG_ENV, PG_DEFAULT))
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    python = sys.version.split()[0]
    print(f"cores {cores} (usable {usable}), Python {python}, {time.strftime('%Y-%m-%d')}")
    print(f"PostgreSQL: {await pg_settings(run.pg_admin)}")
    await calibrate(run)
    messages = sum(len(script(u)) for u in make_users(args.users))
    print(
        f"{args.users} citizens, {messages} messages per pass, {args.in_flight} in flight in all,"
        f" {args.warm_users} more to warm up; {args.rounds} rounds; rows per citizen {run.expected}"
    )
    run.admin = await asyncpg.connect(run.pg_admin)
    try:
        passes = await run_rounds(run, args.rounds, args.setups)
    finally:
        await run.admin.close()
    report(passes)
    if args.setups != list(SETUPS):
        return 0
    lost = sum(p.lost for d in passes.values() for p in d)
    duplicated = sum(p.duplicated for d in passes.values() for p in d)
    print(
        f"pg/sqlite={cpu_ratio(passes, 'pg-1', 'sqlite-full'):.2f}"
        f" full/normal={throughput_ratio(passes, 'sqlite-full', 'sqlite-normal'):.2f}"
        f" procs3/procs1={cpu_ratio(passes, 'pg-3', 'pg-1'):.2f}"
        f" lost={lost} duplicated={duplicated}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--warm-users", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--in-flight", type=int, default=150)
    p.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--index", "--total", "--first", "--last", "--warm-first", "--warm-last"):
        p.add_argument(name, type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--database", default="full", help=argparse.SUPPRESS)
    p.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    warm_catalogs()
    if args.worker:
        asyncio.run(worker(args))
        return 0
    return asyncio.run(parent(args))


if __name__ == "__main__":
    sys.exit(main())
