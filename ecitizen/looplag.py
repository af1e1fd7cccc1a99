"""How late the event loop runs: a timer asks to run every few milliseconds and notes how
late it ran. A request that arrives while the loop is busy waits just as long, so this is
the lag every request of the process saw (CPU work on the loop, a blocking call, or the
loop's own backlog).

Off by default. With `[server] debug_metrics = true` (for benchmarks and tests) the server
runs it and answers GET /debug/loop-lag: the lag since the last read, and the CPU the
process and its loop thread used so far. Nothing personal is in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from aiohttp import web

EVERY_SECONDS = 0.01
KEEP = 200_000  # samples kept between reads: over half an hour at the default period


@dataclass(frozen=True, slots=True)
class LagStats:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @staticmethod
    def of(lags_s: list[float]) -> LagStats:
        if not lags_s:
            return LagStats(0, 0.0, 0.0, 0.0)
        ordered = sorted(lags_s)

        def at(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return LagStats(len(ordered), at(0.50), at(0.99), round(1000 * ordered[-1], 3))


class LoopLag:
    def __init__(self, every_s: float = EVERY_SECONDS, keep: int = KEEP) -> None:
        self.every_s = every_s
        self._lags: deque[float] = deque(maxlen=keep)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.every_s
            await asyncio.sleep(self.every_s)
            self.beat(max(0.0, loop.time() - due))

    def beat(self, late_s: float) -> None:
        """One timer ran `late_s` seconds after it was due."""
        self._lags.append(late_s)

    def take(self) -> LagStats:
        """The lag since the last take; the next one starts from now."""
        lags = list(self._lags)
        self._lags.clear()
        return LagStats.of(lags)

    async def running(self, app: web.Application) -> AsyncIterator[None]:
        """For aiohttp's cleanup_ctx: measures while the server runs."""
        task = asyncio.create_task(self.run(), name="loop-lag")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def cpu_by_thread() -> dict[str, float]:
    """CPU seconds so far of the live threads, summed by kind ("asyncio" for the default
    executor's, "_connection_worker_thread" for SQLite's...); empty where Linux does not say."""
    ticks = os.sysconf("SC_CLK_TCK")
    kinds: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        match = re.search(r"\((.+)\)$", thread.name)  # "Thread-3 (target)": the target
        kind = match.group(1) if match else re.sub(r"[-_]?\d+$", "", thread.name)
        kinds[kind] = kinds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return kinds


def add_loop_lag_route(app: web.Application, lag: LoopLag) -> None:
    async def report(request: web.Request) -> web.Response:
        # Answered on the loop thread, so thread_time is the loop's own CPU.
        body = {
            "loop_lag": asdict(lag.take()),
            "process_cpu_s": time.process_time(),
            "loop_cpu_s": time.thread_time(),
            "thread_cpu_s": cpu_by_thread(),
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    app.router.add_get("/debug/loop-lag", report)
    app.cleanup_ctx.append(lag.running)
