"""Catching a handler that blocks the event loop, on a machine that may be busy.

A timer on the loop beats every 5 ms. A gap between two beats longer than that is time
the loop did not get to its timers. Part of a gap can be waiting for a core (other
processes on a busy machine) and is not the code's doing: Linux counts, per thread, the
time it spent runnable but not running (/proc/<pid>/task/<tid>/schedstat). The watch
takes that off: a gap counts as blocked only for what is left once the loop thread's
waits for a core, and every other thread's (one of them may hold the GIL the loop
waits for), are taken away, or for the CPU the loop thread itself spent in it, whichever
is more. A gap blocked over the bound (50 ms) is a stall. So a stall is code that kept the
loop: a CPU-heavy call, a sleep, a blocking read; and a slow machine alone makes none.

While a gap is open past the bound, a watchdog thread notes where the loop thread is
(its stack), so a stall says what blocked. The garbage collector holds the interpreter
while it runs, so no stack can be taken then: its passes are timed instead, and a stall
they fill says so. As `ecitizen serve` does after its start, the watch freezes what the
process holds when it begins (gc.freeze), so that a full pass does not walk every object
earlier tests left in this process, which a server's process would not hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

BEAT_S = 0.005
BOUND_S = 0.050
TASKS = Path("/proc/self/task")


@dataclass(frozen=True)
class Stall:
    blocked_ms: float
    gap_ms: float
    loop_cpu_ms: float
    where: str  # the loop thread's stack while it was blocked ("" if not caught)

    def __str__(self) -> str:
        return (
            f"the event loop was blocked {self.blocked_ms:.0f} ms (gap {self.gap_ms:.0f} ms, "
            f"its own CPU {self.loop_cpu_ms:.0f} ms), at:\n{self.where or '(not caught)'}"
        )


def _schedstat(tid: int | str) -> tuple[int, int]:
    """(CPU ns, ns spent waiting for a core) of one thread; zeros where Linux does not say."""
    try:
        fields = (TASKS / str(tid) / "schedstat").read_text().split()
        return int(fields[0]), int(fields[1])
    except (OSError, IndexError, ValueError):
        return 0, 0


def _waits_for_a_core() -> dict[str, int]:
    try:
        tids = [p.name for p in TASKS.iterdir()]
    except OSError:
        return {}
    return {tid: _schedstat(tid)[1] for tid in tids}


class LoopWatch:
    def __init__(self, bound_s: float = BOUND_S) -> None:
        self.bound_s = bound_s
        self.stalls: list[Stall] = []
        self.beats = 0
        self._tid = threading.get_native_id()  # started on the loop's thread
        self._loop_thread = threading.get_ident()
        self._last = time.monotonic()
        self._where = ""
        self._stop = threading.Event()
        self._collecting_since = 0.0
        self._collected_s = 0.0  # the garbage collector's time in the current gap
        self._collected_generation = -1

    async def run(self) -> None:
        cpu, _ = _schedstat(self._tid)
        waits = _waits_for_a_core()
        self._last = time.monotonic()
        while True:
            await asyncio.sleep(BEAT_S)
            now = time.monotonic()
            cpu_now, _ = _schedstat(self._tid)
            waits_now = _waits_for_a_core()
            gap = now - self._last
            waited = sum(max(0, w - waits.get(tid, w)) for tid, w in waits_now.items()) / 1e9
            loop_cpu = (cpu_now - cpu) / 1e9
            blocked = max(loop_cpu, gap - BEAT_S - waited)
            if blocked > self.bound_s:
                where = self._collector_part(blocked) or self._where
                self.stalls.append(Stall(1000 * blocked, 1000 * gap, 1000 * loop_cpu, where))
            self._where = ""
            self._collected_s, self._collected_generation = 0.0, -1
            self._last, cpu, waits = now, cpu_now, waits_now
            self.beats += 1

    def _collector_part(self, blocked: float) -> str:
        if self._collected_s < blocked / 2:
            return ""
        return (
            f"the garbage collector: {1000 * self._collected_s:.0f} ms, passes up to"
            f" generation {self._collected_generation}"
        )

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting_since = time.perf_counter()
            return
        self._collected_s += time.perf_counter() - self._collecting_since
        self._collected_generation = max(self._collected_generation, info["generation"])

    def _watchdog(self) -> None:
        """Notes the loop thread's stack once per gap that runs past the bound."""
        while not self._stop.wait(BEAT_S):
            if not self._where and time.monotonic() - self._last > self.bound_s:
                frame = sys._current_frames().get(self._loop_thread)
                if frame is not None:
                    self._where = "".join(traceback.format_stack(frame, limit=8))

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[LoopWatch]:
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._on_collection)
        beat = asyncio.create_task(self.run())
        dog = threading.Thread(target=self._watchdog, name="loop-watchdog", daemon=True)
        dog.start()
        try:
            yield self
        finally:
            self._stop.set()
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            dog.join()
            gc.callbacks.remove(self._on_collection)
            gc.unfreeze()
