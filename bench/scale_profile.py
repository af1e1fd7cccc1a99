"""`python -m bench.scale_profile`: where a message's CPU goes, SQLite FULL beside PostgreSQL.

One process each, the dialogues of `make bench-scale`, a warm-up, then a pass under
cProfile. Shares are of the profiled process's own CPU (the PostgreSQL server's is not in
it; `make bench-scale` shows that apart). cProfile slows everything down alike, so compare
the shares, not the times.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from bench.dialogue import clock, make_users, warm_catalogs
from bench.engine_profile import _PARTS, _where
from bench.scale import PG_DEFAULT, PG_ENV, Run, drop_schema, fresh_database, play, worker_config
from ecitizen.app import build_app
from ecitizen.config import parse_config

PARTS = (
    ("socket writes (to PostgreSQL)", ("method 'send' of '_socket",)),
    ("PostgreSQL driver (asyncpg, pool)", ("asyncpg/", "state/postgres.py")),
    *_PARTS,
)


def part(where: str) -> str | None:
    return next((name for name, keys in PARTS if any(k in where for k in keys)), None)


def shares(profiler: cProfile.Profile) -> dict[str, float]:
    table: dict[Any, Any] = getattr(pstats.Stats(profiler), "stats")  # noqa: B009
    found: dict[str, float] = {}
    for func, (_, _, own, _, callers) in table.items():
        name = part(_where(func))
        if name is not None:
            found[name] = found.get(name, 0.0) + own
            continue
        total = sum(c[2] for c in callers.values()) or 1.0
        for caller, c in callers.items():
            name = part(_where(caller)) or "other"
            found[name] = found.get(name, 0.0) + own * c[2] / total
    return found


async def profile(database: str, users: int, in_flight: int) -> cProfile.Profile:
    people = make_users(users + users // 10)
    run = Run(users, users // 10, in_flight, os.environ.get(PG_ENV, PG_DEFAULT))
    run.admin = await asyncpg.connect(run.pg_admin)
    with tempfile.TemporaryDirectory(prefix="ecitizen-profile-") as tmp:
        url, schema = await fresh_database(run, database, tmp)
        try:
            app = await build_app(parse_config(worker_config(url, tmp)), clock=clock)
            await play(people[users:], app, in_flight)
            profiler = cProfile.Profile(time.thread_time)  # CPU, not wall time
            cpu0 = time.process_time()
            profiler.enable()
            replied = await play(people[:users], app, in_flight)
            profiler.disable()
            cpu = time.process_time() - cpu0
            await app.close()
        finally:
            await drop_schema(run, schema)
            await run.admin.close()
    print(f"\n{database}: {sum(replied)} messages, {cpu / sum(replied) * 1e6:.0f} us/msg profiled")
    return profiler


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_profile", description=__doc__)
    p.add_argument("--users", type=int, default=600)
    p.add_argument("--in-flight", type=int, default=150)
    args = p.parse_args(argv)
    warm_catalogs()
    found = {}
    for database in ("full", "pg"):
        profiler = asyncio.run(profile(database, args.users, args.in_flight))
        found[database] = shares(profiler)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    names = sorted({n for s in found.values() for n in s}, key=lambda n: -found["pg"].get(n, 0))
    print("| part | SQLite FULL | PostgreSQL |\n|---|---:|---:|")
    for name in names:
        cells = [f"{found[d].get(name, 0) / sum(found[d].values()):.1%}" for d in ("full", "pg")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
