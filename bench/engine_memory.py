"""`python -m bench.engine --memory`: memory of each implementation, and our cold start.

Each implementation runs the logic pass in a process of its own: RSS after its imports,
the peak RSS of the whole run (VmHWM; this includes the prebuilt inputs, which are large
for the peers), how much the run added to the RSS it had once set up, and, in a second run
under tracemalloc, the peak of the Python memory the run allocated (SQLite's own C memory
shows in the RSS figures, not the traced one). Cold start: `ecitizen chat` timed from
spawn to its first prompt.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

from bench.dialogue import User, drive, script
from bench.peers import NAMES, make_peer

ROOT = Path(__file__).resolve().parent.parent
MEMORY = ("rss_imports_mb", "rss_mb", "rss_added_mb", "traced_peak_mb")


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
            peer = make_peer(name, "logic", users, Path(tmp))
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
    args = [sys.executable, "-m", "bench.engine_memory", name]
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


def report_cold_start(runs: int) -> None:
    for fresh in (True, False):
        samples = [cold_start(fresh) for _ in range(runs)]
        seconds = statistics.median(s for s, _ in samples)
        rss = max(r for _, r in samples)
        what = "fresh data dir (creates the database)" if fresh else "existing data dir"
        print(
            f"cold start to the first prompt, {what}: median {seconds:.3f} s, peak RSS {rss:.1f} MB"
        )


def report_memory(users: int, in_flight: int, cold_runs: int = 5) -> None:
    print(
        "\n| implementation | RSS after imports MB | peak RSS MB | RSS added by the run MB "
        "| traced peak MB |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in NAMES:
        mem = measure_memory(name, users, in_flight)
        print("| " + " | ".join([name, *(f"{mem[k]:.1f}" for k in MEMORY)]) + " |")
    report_cold_start(cold_runs)


def main(argv: Sequence[str] | None = None) -> int:
    """In the child process: one implementation's figures as a JSON line."""
    import argparse
    import asyncio

    from bench.dialogue import make_users, warm_catalogs

    p = argparse.ArgumentParser(prog="python -m bench.engine_memory")
    p.add_argument("name")
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--in-flight", type=int, default=150)
    args = p.parse_args(argv)
    warm_catalogs()
    users = make_users(args.users)
    print(json.dumps(asyncio.run(memory_pass(args.name, users, args.in_flight))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
