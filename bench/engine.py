"""`make bench`: our durable engine against python-telegram-bot and aiogram, same dialogue.

2,000 simulated citizens register (every fourth types an invalid JMBG once), many at a
time, on (a) our engine with the SQLite store, where every reply is released only after its
state change is committed, (b) python-telegram-bot's ConversationHandler and (c) aiogram's
FSM with MemoryStorage, both in memory with a network that answers at once. Rounds are
interleaved (ptb, aiogram, engine, ptb, ...) and medians reported, because machines are
noisy. Memory is measured in a separate process per implementation. The last line printed
is machine-readable: `engine/ptb=<ratio> engine/aiogram=<ratio> same_results=<bool>`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.dialogue import (
    HALLS,
    Registered,
    Say,
    Timing,
    User,
    check,
    clock,
    drive,
    make_users,
    render_reply,
    script,
    shared_work,
    warm_catalogs,
)
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.domain.lifecycle import RegistrationStatus
from flows.engine.messages import Command, ConversationKey, Inbound

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "telegram"
NAMES = ("ptb", "aiogram", "engine")


class Peer(Protocol):
    name: str

    async def start(self) -> None: ...

    async def send(self, user: int, index: int) -> None: ...

    async def registered(self) -> set[Registered]: ...

    async def close(self) -> None: ...


def inbound(user: User, message_id: int, say: Say) -> Inbound:
    key = ConversationKey(CHANNEL, str(100_000 + user.index))
    if say.kind == "start":
        return Inbound(key, command=Command.START, message_id=str(message_id))
    if say.kind == "choice":
        return Inbound(key, choice=say.value, message_id=str(message_id))
    return Inbound(key, text=say.value, message_id=str(message_id))


class EnginePeer:
    """Our engine as a channel drives it: App.handle, then the reply rendered to text."""

    name = "engine"

    def __init__(self, users: Sequence[User], data_dir: Path) -> None:
        self.users = users
        self.data_dir = data_dir
        self.inbounds: list[list[Inbound]] = []
        self._app: App | None = None

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def start(self) -> None:
        config = parse_config({"data": {"dir": str(self.data_dir)}})
        self._app = await build_app(config, clock=clock)
        message_id = 0
        for user in self.users:
            row = []
            for say in script(user):
                message_id += 1
                row.append(inbound(user, message_id, say))
            self.inbounds.append(row)

    async def send(self, user: int, index: int) -> None:
        for out in await self.app.handle(self.inbounds[user][index]):
            render_reply(out.text, out.choices, out.language)

    async def registered(self) -> set[Registered]:
        found: set[Registered] = set()
        for hall in HALLS:
            for r in await self.app.store.registrations_at(hall, [RegistrationStatus.SUBMITTED]):
                found.add((r.first_name, r.last_name, r.jmbg, r.phone, r.hall))
        return found

    async def close(self) -> None:
        await self.app.close()


def make_peer(name: str, users: Sequence[User], data_dir: Path) -> Peer:
    if name == "ptb":
        from bench.peers_ptb import PtbPeer

        return PtbPeer(users)
    if name == "aiogram":
        from bench.peers_aiogram import AiogramPeer

        return AiogramPeer(users)
    return EnginePeer(users, data_dir)


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


async def timed_pass(
    name: str, users: Sequence[User], in_flight: int
) -> tuple[Timing, set[Registered]]:
    with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
        peer = make_peer(name, users, Path(tmp))
        await peer.start()
        timing = await drive(peer.send, [len(script(u)) for u in users], in_flight)
        found = await peer.registered()
        await peer.close()
    return timing, found


def floor_per_second(users: Sequence[User]) -> float:
    """Messages per second of the shared work alone (see dialogue.shared_work)."""
    gc.collect()
    start = time.perf_counter()
    messages = sum(shared_work(u) for u in users)
    return messages / (time.perf_counter() - start)


def status_mb(field_: str, pid: int | str = "self") -> float:
    """A memory figure of a process from /proc (Linux), in MB: VmRSS now, VmHWM its peak.

    Not ru_maxrss: Linux carries the parent's peak over fork and exec into the child's."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def memory_pass(name: str, users: Sequence[User], in_flight: int) -> dict[str, float]:
    """Run in a process of its own. First untraced: the process's peak RSS, and how much the
    run added to the RSS it had once set up; then a fresh run under tracemalloc: the peak of
    the Python memory the run allocated (SQLite's own C memory is not traced)."""
    lengths = [len(script(u)) for u in users]
    out: dict[str, float] = {}
    for traced in (False, True):
        with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
            peer = make_peer(name, users, Path(tmp))
            if not traced:
                out["rss_imports_mb"] = status_mb("VmRSS")
            await peer.start()
            gc.collect()
            if traced:
                tracemalloc.start()
                await drive(peer.send, lengths, in_flight)
                out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            else:
                before = status_mb("VmRSS")
                await drive(peer.send, lengths, in_flight)
                out["rss_mb"] = status_mb("VmHWM")
                out["rss_added_mb"] = out["rss_mb"] - before
            await peer.close()
            del peer
    return out


def measure_memory(name: str, users: int, in_flight: int) -> dict[str, float]:
    args = [sys.executable, "-m", "bench.engine", "--memory-of", name]
    args += ["--users", str(users), "--in-flight", str(in_flight)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cold_start(fresh: bool) -> tuple[float, float]:
    """Seconds from spawning `ecitizen chat` to its first "> " prompt, and its peak RSS (MB)
    by then; with no ECITIZEN_* variables, so only the config file given counts."""
    with tempfile.TemporaryDirectory(prefix="ecitizen-cold-") as tmp:
        data = Path(tmp) / "var"
        config = Path(tmp) / "config.toml"
        config.write_text(f'[data]\ndir = "{data}"\n', encoding="utf-8")
        if not fresh:
            _start_chat(config)
        return _start_chat(config)


def _start_chat(config: Path) -> tuple[float, float]:
    args = [sys.executable, "-m", "ecitizen.cli", "--config", str(config), "chat"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECITIZEN_")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*args, "--user", "x"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stdin is not None
    seen = b""
    while b"> " not in seen:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            raise RuntimeError("ecitizen chat ended before its first prompt")
        seen += chunk
    elapsed = time.perf_counter() - t0
    peak = status_mb("VmHWM", proc.pid)
    proc.stdin.close()
    proc.wait()
    proc.stdout.close()
    return elapsed, peak


# Where the event loop's time goes, by the part of the code a function belongs to.
_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "store: load",
        ("conversations.py:47", "state/values.py", "json/decoder", "json/__init__.py:2"),
    ),
    ("store: apply", ("state/conversations.py", "state/writes.py", "json/")),
    ("store: other reads", ("state/registrations.py", "state/officers.py")),
    ("store: thread hand-off", ("state/sqlite.py", "state/db.py", "aiosqlite", "queue.py")),
    ("asyncio loop", ("asyncio/", "selectors.py", "socket.py", "_socket", "select.epoll")),
    (
        "providers",
        (
            "flows/conversations/booking.py",
            "flows/domain/halls.py",
            "flows/conversations/registration.py",
            "zoneinfo",
        ),
    ),
    (
        "validation",
        ("flows/domain/", "flows/conversations/checks.py", "phonenumbers", "email_validator"),
    ),
    ("transitions", ("transitions/",)),
    ("rendering", ("flows/engine/i18n.py", "cyrtranslit", "bench/dialogue.py", "re/")),
    ("ref code", ("random.py", "urandom")),
    ("engine logic", ("flows/", "ecitizen/", "dataclasses", "enum.py")),
    ("bench driver", ("bench/",)),
)


def _part(where: str) -> str | None:
    return next((name for name, keys in _PARTS if any(k in where for k in keys)), None)


def _where(func: tuple[str, int, str]) -> str:
    return f"{func[0]}:{func[1]}({func[2]})"


async def profile_engine(users: Sequence[User], in_flight: int) -> None:
    """cProfile of our engine under load; shares scaled to the loop thread's CPU per message
    measured in an unprofiled pass (SQLite's own work runs on its threads, shown apart)."""
    lengths = [len(script(u)) for u in users]
    with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
        peer = EnginePeer(users, Path(tmp))
        await peer.start()
        cpu0, loop0 = time.process_time(), time.thread_time()
        timing = await drive(peer.send, lengths, in_flight)
        cpu, loop_cpu = time.process_time() - cpu0, time.thread_time() - loop0
        await peer.close()
    per_msg = loop_cpu / timing.messages * 1e6
    print(f"unprofiled: {timing.per_second:,.0f} msg/s; CPU per message: event loop thread")
    print(f"  {per_msg:.0f} us, SQLite threads {(cpu - loop_cpu) / timing.messages * 1e6:.0f} us")
    with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
        peer = EnginePeer(users, Path(tmp))
        await peer.start()
        profiler = cProfile.Profile()
        profiler.enable()
        await drive(peer.send, lengths, in_flight)
        profiler.disable()
        await peer.close()
    stats = pstats.Stats(profiler)
    table: dict[Any, Any] = getattr(stats, "stats")  # noqa: B009 (pstats keeps it untyped)
    shares: dict[str, float] = {}
    for func, (_, _, own, _, callers) in table.items():
        part = _part(_where(func))
        if part is not None:
            shares[part] = shares.get(part, 0.0) + own
            continue
        # a builtin (dict.get, isinstance, ...): its time goes to the parts that called it
        total = sum(c[2] for c in callers.values()) or 1.0
        for caller, c in callers.items():
            name = _part(_where(caller)) or "other"
            shares[name] = shares.get(name, 0.0) + own * c[2] / total
    whole = sum(shares.values())
    print("event loop CPU per message, by part (cProfile shares):")
    for name, own in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {name:24} {own / whole * per_msg:6.0f} us  {own / whole:6.1%}")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def _by_name() -> dict[str, list[Timing]]:
    return {n: [] for n in NAMES}


@dataclass
class Results:
    timings: dict[str, list[Timing]] = field(default_factory=_by_name)
    alone: dict[str, list[Timing]] = field(default_factory=_by_name)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)
    found: dict[str, list[set[Registered]]] = field(default_factory=lambda: {n: [] for n in NAMES})
    floor: list[float] = field(default_factory=list)

    def rate(self, name: str) -> float:
        return statistics.median(t.per_second for t in self.timings[name])

    def ratio(self, name: str) -> float:
        """Ours over a peer: the median of the rounds' ratios, each of two passes run
        back to back, so a machine getting busier or quieter moves both alike."""
        pairs = zip(self.timings["engine"], self.timings[name], strict=True)
        return statistics.median(ours.per_second / theirs.per_second for ours, theirs in pairs)

    def row(self, name: str) -> str:
        def ms(timings: list[Timing], q: float) -> str:
            return f"{statistics.median(t.percentile_ms(q) for t in timings):.2f}"

        mem = self.memory.get(name, {})
        cells = [name, f"{self.rate(name):,.0f}"]
        cells += [ms(self.timings[name], 0.5), ms(self.timings[name], 0.99)]
        cells += [ms(self.alone[name], 0.5), ms(self.alone[name], 0.99)]
        cells += [f"{mem.get(k, float('nan')):.1f}" for k in _MEMORY]
        return "| " + " | ".join(cells) + " |"


_MEMORY = ("rss_imports_mb", "rss_mb", "rss_added_mb", "traced_peak_mb")


async def run_rounds(users: Sequence[User], rounds: int, in_flight: int, out: Results) -> None:
    for round_ in range(1, rounds + 1):
        out.floor.append(floor_per_second(users))
        for name in NAMES:
            timing, found = await timed_pass(name, users, in_flight)
            out.timings[name].append(timing)
            out.found[name].append(found)
            # one user at a time: what a message costs with nobody else waiting
            alone, _ = await timed_pass(name, users[: max(1, len(users) // 10)], 1)
            out.alone[name].append(alone)
            print(
                f"  round {round_} {name:8} {timing.per_second:9,.0f} msg/s"
                f"  p50 {timing.percentile_ms(0.5):7.2f} ms"
                f"  p99 {timing.percentile_ms(0.99):7.2f} ms"
                f"  alone p50 {alone.percentile_ms(0.5):.2f} ms",
                flush=True,
            )


def report(out: Results, users: Sequence[User], in_flight: int) -> bool:
    want = expected(users)
    print(f"\n{len(users)} users, {in_flight} in flight; medians of the rounds")
    print(
        "| implementation | msg/s | p50 ms | p99 ms | alone p50 ms | alone p99 ms "
        "| RSS after imports MB | peak RSS MB | RSS added by the run MB | traced peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in NAMES:
        print(out.row(name))
    floor = statistics.median(out.floor)
    print(
        f"shared work alone (validators, screens, rendering; no state, no framework, no store):"
        f" {floor:,.0f} msg/s = {1e6 / floor:.0f} us/msg; so at most"
        f" {floor / out.rate('ptb'):.1f}x ptb and {floor / out.rate('aiogram'):.1f}x aiogram"
    )
    for peer in ("ptb", "aiogram"):
        pairs = zip(out.timings["engine"], out.timings[peer], strict=True)
        rounds = ", ".join(f"{a.per_second / b.per_second:.2f}" for a, b in pairs)
        print(f"engine/{peer} per round: {rounds}; median {out.ratio(peer):.2f}")
    same = True
    for name in NAMES:
        sizes = sorted({len(s) for s in out.found[name]})
        matches = all(s == want for s in out.found[name])
        same = same and matches
        print(f"{name}: registrations per round {sizes}, the expected ones: {matches}")
    return same


def report_cold_start(runs: int) -> None:
    for fresh in (True, False):
        samples = [cold_start(fresh) for _ in range(runs)]
        seconds = statistics.median(s for s, _ in samples)
        rss = max(r for _, r in samples)
        what = "fresh data dir (creates the database)" if fresh else "existing data dir"
        print(
            f"cold start to the first prompt, {what}: median {seconds:.3f} s, peak RSS {rss:.1f} MB"
        )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--in-flight", type=int, default=150)
    p.add_argument("--cold-runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="skip memory and cold start")
    p.add_argument("--profile", action="store_true", help="profile our engine instead")
    p.add_argument("--memory-of", choices=NAMES, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    users = make_users(args.users)
    warm_catalogs()
    if args.memory_of:
        print(json.dumps(asyncio.run(memory_pass(args.memory_of, users, args.in_flight))))
        return 0
    if args.profile:
        asyncio.run(profile_engine(users, args.in_flight))
        return 0
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    messages = sum(len(script(u)) for u in users)
    print(f"{args.users} users, {messages} messages per pass, {args.rounds} rounds")
    out = Results()
    asyncio.run(run_rounds(users, args.rounds, args.in_flight, out))
    if not args.quick:
        for name in NAMES:
            out.memory[name] = measure_memory(name, args.users, args.in_flight)
    same = report(out, users, args.in_flight)
    if not args.quick:
        report_cold_start(args.cold_runs)
    ptb, aiogram = out.ratio("ptb"), out.ratio("aiogram")
    print(f"engine/ptb={ptb:.2f} engine/aiogram={aiogram:.2f} same_results={str(same).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
