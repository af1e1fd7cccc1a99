"""`python -m bench.round_robin`: one chat's messages spread over several processes.

Webhooks (Telegram's, Viber's) behind a load balancer reach the processes in turn, so a
chat's next message is seldom handled where its last one was. Three engines (`build_app`:
three stores, three pools, three caches) on one PostgreSQL schema play the dialogues of
`make bench` in one process, in two modes, rotated round after round:

- sticky: each citizen's messages reach one engine (the case `make bench-scale` measures);
- round robin: message i of a citizen reaches engine (citizen + i) mod 3.

Printed per pass: messages per second, CPU per message of this process and of the
PostgreSQL server processes that served it, and stale turns per message: turns computed
from a copy of the conversation that another engine had changed since, which the
database refused (transactions rolled back, from `pg_stat_database`; nothing else in the
dialogues is ever refused).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from bench.dialogue import clock, drive, make_users, script, warm_catalogs
from bench.ours import inbound
from bench.scale import (
    PG_DEFAULT,
    PG_ENV,
    Run,
    backends,
    drop_schema,
    fresh_database,
    worker_config,
)
from ecitizen.app import build_app
from ecitizen.config import parse_config

ENGINES = 3
MODES = ("sticky", "round robin")


async def rolled_back(run: Run) -> int:
    row = await run.admin.fetchrow(
        "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(row[0])


async def play(apps: Sequence[Any], users: Sequence[Any], mode: str, in_flight: int) -> int:
    inbounds = [[inbound(u, u.index * 64 + i, s) for i, s in enumerate(script(u))] for u in users]
    replied = 0

    async def send(user: int, index: int) -> None:
        nonlocal replied
        engine = (user + index) % ENGINES if mode == "round robin" else user % ENGINES
        outs = await apps[engine].handle(inbounds[user][index])
        replied += bool(outs)  # read after the await: the other lanes add meanwhile

    await drive(send, [len(r) for r in inbounds], in_flight)
    return replied


async def one_pass(run: Run, mode: str) -> dict[str, float]:
    people = make_users(run.users + run.warm_users)
    with tempfile.TemporaryDirectory(prefix="ecitizen-rr-") as tmp:
        url, schema = await fresh_database(run, "pg", tmp)
        try:
            config = parse_config(worker_config(url, tmp))
            apps = [await build_app(config, clock=clock) for _ in range(ENGINES)]
            await play(apps, people[run.users :], mode, run.in_flight)
            server0, refused0 = await backends(run, schema), await rolled_back(run)
            before, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
            messages = await play(apps, people[: run.users], mode, run.in_flight)
            wall, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_SELF)
            server1 = await backends(run, schema)
            for app in apps:
                await app.close()  # the server processes report their counts as they end
            await asyncio.sleep(0.5)
            refused = await rolled_back(run) - refused0
        finally:
            await drop_schema(run, schema)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    server = sum(c - server0.get(pid, 0.0) for pid, c in server1.items())
    return {
        "msg/s": messages / wall,
        "cpu_us": cpu / messages * 1e6,
        "server_us": server / messages * 1e6,
        "stale": refused / messages,
    }


async def main_async(args: argparse.Namespace) -> None:
    run = Run(args.users, args.users // 10, args.in_flight, os.environ.get(PG_ENV, PG_DEFAULT))
    run.admin = await asyncpg.connect(run.pg_admin)
    found: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    try:
        for round_ in range(args.rounds):
            for mode in MODES[round_ % 2 :] + MODES[: round_ % 2]:
                done = await one_pass(run, mode)
                found[mode].append(done)
                print(f"  round {round_ + 1} {mode:12} " + _cells(done), flush=True)
    finally:
        await run.admin.close()
    for mode, passes in found.items():
        medians = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
        print(f"{mode:12} (median) " + _cells(medians))


def _cells(p: dict[str, float]) -> str:
    return (
        f"{p['msg/s']:6,.0f} msg/s  CPU {p['cpu_us']:4.0f} us/msg + PG server"
        f" {p['server_us']:4.0f}  stale turns {p['stale']:.2f}/msg"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.round_robin", description=__doc__)
    p.add_argument("--users", type=int, default=600)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--in-flight", type=int, default=150)
    args = p.parse_args(argv)
    warm_catalogs()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
