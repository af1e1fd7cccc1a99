"""`make bench-kiosk`: what a person at a kiosk feels, with every hall of the country busy.

560 kiosks (140 halls x 4), each a browser session (bench/kiosk_load.py), send one step
every 5 s each (112 steps/s in all) through the real HTTP kiosk API of a real `ecitizen
serve` (bench/kiosk_server.py) in a process of its own; this process is the load
generator. Each step's latency is counted from when it was due (coordinated omission
counted). The server reports how late its event loop ran (GET /debug/loop-lag). Then the
rate is raised in stages from a quarter of it, x1.25 each, open loop, until the p99 passes a
bound (100 ms) or a step fails: the saturation rate is the fastest stage that held.

Last line: `kiosk_p99_ms=<n> submit_p99_ms=<n> loop_lag_p99_ms=<n> saturation_rps=<n> errors=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.dialogue import make_users
from bench.kiosk_load import STEPS, Kiosk, Outcome, paced, percentile, spread
from bench.kiosk_server import ServerProcess, hall_codes


@dataclass
class Window:
    """One measured stretch: the steps due in it and what the server used meanwhile."""

    rate: float
    outcomes: list[Outcome]
    seconds: float
    server_cpu_s: float = 0.0
    loop_cpu_s: float = 0.0
    loop_lag: dict[str, Any] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    threads_cpu_s: dict[str, float] = field(default_factory=dict)  # by kind of thread

    def latencies(self, step: str | None = None) -> list[float]:
        return [o.latency_ms for o in self.outcomes if step is None or o.step == step]

    def p99(self, step: str | None = None) -> float:
        return percentile(self.latencies(step), 0.99)

    @property
    def errors(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    @property
    def achieved_rps(self) -> float:
        return len(self.outcomes) / self.seconds

    def per_request_ms(self, cpu_s: float) -> float:
        return 1000 * cpu_s / max(1, len(self.outcomes))


async def measured(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    kiosks: Sequence[Kiosk],
    rate: float,
    seconds: float,
    warmup: float,
) -> Window:
    """A paced run; the first `warmup` seconds are not counted."""
    snapshot: dict[str, Any] = {}
    load: list[float] = []

    async def at_window_start() -> None:
        await asyncio.sleep(warmup + 0.2)
        first = await server.loop_lag(http)  # the lag so far is the warm-up's: dropped
        snapshot.update(
            cpu=server.cpu_seconds(), loop=first["loop_cpu_s"], threads=first["thread_cpu_s"]
        )
        while True:
            load.append(os.getloadavg()[0])
            await asyncio.sleep(5)

    sampler = asyncio.create_task(at_window_start())
    run = await paced(kiosks, rate, warmup + seconds)
    sampler.cancel()
    report = await server.loop_lag(http)
    counted = [o for o in run.outcomes if o.due >= run.start + warmup]
    return Window(
        rate,
        counted,
        seconds,
        server.cpu_seconds() - snapshot.get("cpu", 0.0),
        report["loop_cpu_s"] - snapshot.get("loop", 0.0),
        report["loop_lag"],
        load,
        {
            kind: cpu - snapshot.get("threads", {}).get(kind, 0.0)
            for kind, cpu in report["thread_cpu_s"].items()
        },
    )


async def ramp(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    kiosks: Sequence[Kiosk],
    start: float,
    stage_seconds: float,
    bound_ms: float,
) -> list[Window]:
    """Stages of rising rate (x1.25 each) until two in a row fail: their p99 passes the
    bound or a step fails (one alone may be a moment the machine was busy elsewhere)."""
    stages: list[Window] = []
    failed = 0
    for n in itertools.count():
        rate = start * 1.25**n
        window = await measured(server, http, kiosks, rate, stage_seconds, 1.0)
        stages.append(window)
        sys.stderr.write(
            f"  ramp {rate:7.0f}/s: achieved {window.achieved_rps:7.1f}/s, "
            f"p99 {window.p99():8.1f} ms, errors {window.errors}\n"
        )
        failed = failed + 1 if window.p99() > bound_ms or window.errors else 0
        if failed == 2 or rate > 5000:
            break
    return stages


def saturation(stages: Sequence[Window], bound_ms: float) -> float:
    held = [w.achieved_rps for w in stages if w.p99() <= bound_ms and not w.errors]
    return max(held, default=0.0)


def report(main: Window, stages: Sequence[Window], kiosks: int, bound_ms: float) -> str:
    out: list[str] = []
    lag = main.loop_lag
    out.append(
        f"{kiosks} kiosks at {main.rate:.0f} steps/s for {main.seconds:.0f} s: "
        f"{len(main.outcomes)} steps, achieved {main.achieved_rps:.1f}/s\n"
    )
    out.append(f"{'step':<12}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}\n")
    for step in STEPS:
        values = main.latencies(step)
        if values:
            out.append(
                f"{step:<12}{len(values):>6}{percentile(values, 0.5):>10.1f}"
                f"{percentile(values, 0.99):>10.1f}{max(values):>10.1f}\n"
            )
    idle = [1000 * (o.sent - o.due) for o in main.outcomes if o.idle]
    out.append(
        f"all steps: p50 {percentile(main.latencies(), 0.5):.1f} ms, p99 {main.p99():.1f} ms; "
        f"errors {main.errors}\n"
        f"server: CPU {main.per_request_ms(main.server_cpu_s):.2f} ms per step "
        f"({main.per_request_ms(main.loop_cpu_s):.2f} ms of it on the event loop); "
        f"loop lag p50 {lag.get('p50_ms', 0):.2f} ms, p99 {lag.get('p99_ms', 0):.2f} ms, "
        f"max {lag.get('max_ms', 0):.1f} ms ({lag.get('samples', 0)} samples)\n"
        f"server threads, CPU ms per step: "
        + ", ".join(
            f"{kind} {main.per_request_ms(cpu):.2f}"
            for kind, cpu in sorted(main.threads_cpu_s.items(), key=lambda kv: -kv[1])
        )
        + "\n"
        f"load generator: sent late by p99 {percentile(idle, 0.99):.1f} ms "
        f"(its own lag, counted in the latencies)\n"
        f"machine: {os.cpu_count()} cores, load average during the run "
        f"{', '.join(f'{x:.1f}' for x in main.load) or '-'}\n"
    )
    if stages:
        out.append(f"saturation (open-loop stages; a stage holds with p99 <= {bound_ms:.0f} ms):\n")
        for w in stages:
            out.append(
                f"  {w.rate:7.0f}/s asked, {w.achieved_rps:7.1f}/s done, p99 {w.p99():8.1f} ms, "
                f"loop lag p99 {w.loop_lag.get('p99_ms', 0):7.1f} ms, errors {w.errors}, "
                f"CPU {w.per_request_ms(w.server_cpu_s):.2f} ms/step\n"
            )
    return "".join(out)


async def bench(args: argparse.Namespace, folder: Path) -> tuple[Window, list[Window]]:
    server = ServerProcess.start(folder, args.halls, args.shared_printer, args.profile)
    http = aiohttp.ClientSession()
    kiosks: list[Kiosk] = []
    try:
        await server.wait_ready(http)
        users = iter(make_users(args.people))
        halls = hall_codes(args.halls)
        kiosks = [Kiosk(server.base, h, users) for h in halls for _ in range(args.per_hall)]
        t0 = time.monotonic()
        failed = await spread(kiosks)
        sys.stderr.write(f"kiosks spread over the dialogue in {time.monotonic() - t0:.1f} s")
        sys.stderr.write(f" ({failed} failed)\n")
        await asyncio.sleep(args.settle)
        rate = len(kiosks) / args.step_seconds
        main = await measured(server, http, kiosks, rate, args.seconds, args.warmup)
        sys.stderr.write(f"paced run done: p99 {main.p99():.1f} ms\n")
        stages = (
            []
            if args.no_ramp
            else await ramp(server, http, kiosks, rate / 4, args.stage_seconds, args.bound_ms)
        )
        failures = sum((k.failures for k in kiosks), Counter[str]())
        for what, count in failures.most_common(10):
            sys.stderr.write(f"  failed: {count} x {what}\n")
        return main, stages
    finally:
        await asyncio.gather(*(k.close() for k in kiosks))
        await http.close()
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--halls", type=int, default=140)
    parser.add_argument("--per-hall", type=int, default=4, help="kiosks per hall")
    parser.add_argument("--step-seconds", type=float, default=5.0, help="per kiosk")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured paced run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=3.0, help="after the spread")
    parser.add_argument("--stage-seconds", type=float, default=8.0)
    parser.add_argument("--bound-ms", type=float, default=100.0, help="saturation: p99 bound")
    parser.add_argument("--no-ramp", action="store_true")
    parser.add_argument("--shared-printer", action="store_true", help="one printer for all")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the server's folder here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        main_run, stages = asyncio.run(bench(args, folder))
    sys.stdout.write(report(main_run, stages, args.halls * args.per_hall, args.bound_ms))
    lag = main_run.loop_lag.get("p99_ms", 0.0)
    sys.stdout.write(
        f"kiosk_p99_ms={main_run.p99():.1f} submit_p99_ms={main_run.p99('submit'):.1f} "
        f"loop_lag_p99_ms={lag:.1f} saturation_rps={saturation(stages, args.bound_ms):.0f} "
        f"errors={main_run.errors}\n"
    )
    return 0 if main_run.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
