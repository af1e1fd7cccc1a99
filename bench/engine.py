"""`make bench`: our durable engine against python-telegram-bot and aiogram, like for like.

2,000 simulated citizens register (every fourth types an invalid JMBG once), 150 at a
time, on (a) our engine with the SQLite store committed with synchronous = FULL (a reply is
released only once its unit is durable), (b) python-telegram-bot's ConversationHandler and
(c) aiogram's FSM with MemoryStorage, both in memory. Two ways:

- logic: no Bot API call anywhere; every implementation renders its replies to text and
  buttons the same way (bench.dialogue.render_reply);
- telegram: each update arrives as the Bot API's JSON, and every reply is sent and every
  pressed button answered (and its keyboard taken away) through a Telegram client against
  one canned Bot API (bench/canned.py): the peers through their own Bot, ours through
  bot/telegram's channel.

Each pass is timed and its CPU measured (the whole process, every thread: SQLite's
threads count for ours). Every implementation first plays one discarded warm-up pass in
each way; the rounds then rotate the order. Ratios are the peer's CPU per message over
ours (above 1: ours is cheaper), the median of the rounds' ratios. The last line is
machine-readable:
`logic/ptb=<r> logic/aiogram=<r> telegram/ptb=<r> telegram/aiogram=<r> cpu_us_per_msg=<n>
same_results=<bool>`, cpu_us_per_msg being ours in the logic passes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import canned
from bench.dialogue import (
    Registered,
    Timing,
    User,
    check,
    drive,
    make_users,
    script,
    warm_catalogs,
)
from bench.peers import MODES, NAMES, Mode, make_peer

WARM_UP_USERS = 500


@dataclass(slots=True)
class Pass:
    name: str
    mode: Mode
    timing: Timing
    calls: Counter[str]  # Bot API calls made, by method
    found: set[Registered]

    @property
    def calls_per_message(self) -> float:
        return sum(self.calls.values()) / self.timing.messages


def expected(users: Sequence[User]) -> set[Registered]:
    """What every implementation must end with: the answers, as the validators keep them."""
    return {
        (
            str(check("first_name", u.first_name)),
            str(check("last_name", u.last_name)),
            u.jmbg,
            str(check("phone", u.phone)),
            u.hall,
        )
        for u in users
    }


async def one_pass(name: str, mode: Mode, users: Sequence[User], in_flight: int) -> Pass:
    with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
        peer = make_peer(name, mode, users, Path(tmp))
        await peer.start()
        canned.CALLS.clear()
        timing = await drive(peer.send, [len(script(u)) for u in users], in_flight)
        calls = Counter(canned.CALLS)
        found = await peer.registered()
        await peer.close()
    return Pass(name, mode, timing, calls, found)


@dataclass
class Results:
    passes: list[Pass] = field(default_factory=list)

    def of(self, mode: Mode, name: str) -> list[Pass]:
        return [p for p in self.passes if p.mode == mode and p.name == name]

    def cpu(self, mode: Mode, name: str) -> float:
        return statistics.median(p.timing.cpu_us_per_message for p in self.of(mode, name))

    def per_round(self, mode: Mode, peer: str) -> list[float]:
        """The peer's CPU per message over ours, round by round."""
        pairs = zip(self.of(mode, peer), self.of(mode, "engine"), strict=True)
        return [p.timing.cpu_us_per_message / e.timing.cpu_us_per_message for p, e in pairs]

    def ratio(self, mode: Mode, peer: str) -> float:
        return statistics.median(self.per_round(mode, peer))

    def row(self, mode: Mode, name: str) -> str:
        passes = self.of(mode, name)

        def median(values: list[float], form: str) -> str:
            return format(statistics.median(values), form)

        cells = [mode, name, median([p.timing.per_second for p in passes], ",.0f")]
        cells.append(median([p.timing.cpu_us_per_message for p in passes], ".0f"))
        loop = [p.timing.loop_cpu_us_per_message for p in passes]
        other = [p.timing.cpu_us_per_message - p.timing.loop_cpu_us_per_message for p in passes]
        cells += [median(loop, ".0f"), median(other, ".0f")]
        cells.append(median([p.calls_per_message for p in passes], ".2f"))
        cells.append(median([p.timing.percentile_ms(0.5) for p in passes], ".2f"))
        cells.append(median([p.timing.percentile_ms(0.99) for p in passes], ".2f"))
        return "| " + " | ".join(cells) + " |"


def _order(round_: int) -> list[str]:
    shift = round_ % len(NAMES)
    return list(NAMES[shift:] + NAMES[:shift])


def _line(p: Pass, label: str) -> str:
    t = p.timing
    return (
        f"  {label:8} {p.mode:8} {p.name:8} {t.per_second:9,.0f} msg/s"
        f" {t.cpu_us_per_message:6.0f} us CPU/msg (loop {t.loop_cpu_us_per_message:4.0f})"
        f" {p.calls_per_message:4.2f} calls/msg  p99 {t.percentile_ms(0.99):7.2f} ms"
    )


async def run_rounds(users: Sequence[User], rounds: int, in_flight: int, out: Results) -> None:
    warm = users[:WARM_UP_USERS]
    for mode in MODES:
        for name in NAMES:
            print(_line(await one_pass(name, mode, warm, in_flight), "warm-up"), flush=True)
    for round_ in range(rounds):
        for mode in MODES:
            for name in _order(round_):
                done = await one_pass(name, mode, users, in_flight)
                out.passes.append(done)
                print(_line(done, f"round {round_ + 1}"), flush=True)


def report(out: Results, users: Sequence[User], in_flight: int) -> bool:
    want = expected(users)
    print(f"\n{len(users)} users, {in_flight} in flight; medians of the rounds")
    print(
        "| way | implementation | msg/s | CPU us/msg | event loop thread | other threads "
        "| Bot API calls/msg | p50 ms | p99 ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in MODES:
        for name in NAMES:
            print(out.row(mode, name))
    for mode in MODES:
        for peer in ("ptb", "aiogram"):
            rounds = ", ".join(f"{r:.2f}" for r in out.per_round(mode, peer))
            print(
                f"{mode}/{peer} (CPU per message, peer/ours) per round: {rounds}; "
                f"median {out.ratio(mode, peer):.2f}"
            )
    same = True
    for mode in MODES:
        for name in NAMES:
            passes = out.of(mode, name)
            matches = all(p.found == want for p in passes)
            same = same and matches
            sizes = sorted({len(p.found) for p in passes})
            print(f"{mode} {name}: registrations per round {sizes}, the expected ones: {matches}")
    return same


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--in-flight", type=int, default=150)
    p.add_argument("--memory", action="store_true", help="also memory and cold start")
    p.add_argument("--profile", choices=MODES, help="profile our engine in that way instead")
    args = p.parse_args(argv)
    users = make_users(args.users)
    warm_catalogs()
    if args.profile:
        from bench.engine_profile import profile_engine

        asyncio.run(profile_engine(users, args.in_flight, args.profile))
        return 0
    load = os.getloadavg()
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    messages = sum(len(script(u)) for u in users)
    print(f"{args.users} users, {messages} messages per pass, {args.rounds} rounds")
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    out = Results()
    asyncio.run(run_rounds(users, args.rounds, args.in_flight, out))
    same = report(out, users, args.in_flight)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.memory:
        from bench.engine_memory import report_memory

        report_memory(args.users, args.in_flight)
    ratios = " ".join(f"{m}/{n}={out.ratio(m, n):.2f}" for m in MODES for n in ("ptb", "aiogram"))
    cpu = out.cpu("logic", "engine")
    print(f"{ratios} cpu_us_per_msg={cpu:.0f} same_results={str(same).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
