"""`make bench-telegram`'s cap-off part: updates handled per second and the CPU the bot
spends per update, against the engine's own CPU per message measured in the same process.

The local Bot API server sends without any cap. 100 people register through the bot
first, untimed (the first of bench/dialogue.py's people, one of whom types an ID card
number the engine takes for a numbered choice and cannot go on). Then, in rounds: N
others register at once through Telegram (every update, every reply), and N others go
through the same dialogue straight through App.handle in the bot's own process. CPU is the
bot process's (every thread), read every half second; a round ends with its last reply.
The figures are the medians over the rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass, field

from bench.dialogue import User, make_users
from bench.telegram_bot import ask, start_bot, stop_bot
from bench.telegram_figures import quantile
from bench.telegram_people import chat
from bench.viber_people import everyone, repeats, telegram_player
from tests.fakes.bot_api_server import FakeBotApi
from tests.fakes.bot_api_users import FakeUser

WARM_UP = 100  # people registered through the bot first, untimed
CPU_EVERY_S = 0.5


@dataclass
class Round:
    users: int
    updates: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    finished: int = 0
    duplicates: int = 0
    reply_s: list[float] = field(default_factory=list)
    engine: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.updates / self.elapsed_s if self.elapsed_s else float("nan")

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / self.updates if self.updates else float("nan")

    @property
    def engine_cpu_ms(self) -> float:
        return 1000 * self.engine["cpu_s"] / self.engine["messages"]

    @property
    def channel_over_engine(self) -> float:
        return (self.cpu_ms - self.engine_cpu_ms) / self.engine_cpu_ms


@dataclass
class Saturation:
    users: int  # per round
    rounds: list[Round] = field(default_factory=list)
    rss_mb: float = 0.0

    def median(self, figure: str) -> float:
        return float(statistics.median(getattr(r, figure) for r in self.rounds))

    @property
    def lost(self) -> int:
        return sum(r.users - r.finished for r in self.rounds)

    @property
    def duplicates(self) -> int:
        return sum(r.duplicates for r in self.rounds)


async def saturate(run: Saturation, rounds: int, profile: str | None, py_spy: str | None) -> None:
    n = run.users
    users = make_users(WARM_UP + 2 * rounds * n)
    warm, through_telegram = users[:WARM_UP], users[WARM_UP : WARM_UP + rounds * n]
    async with FakeBotApi() as api:
        with tempfile.TemporaryDirectory(prefix="bench-telegram-free-") as data:
            proc = await start_bot(api, data, capped=False)
            people = {u.index: chat(api, u.first_name, None) for u in warm + through_telegram}
            await everyone([telegram_player(people[u.index], u) for u in warm])
            for r in range(rounds):
                mine = through_telegram[r * n : (r + 1) * n]
                one = Round(n)
                await telegram_round(
                    one,
                    api,
                    proc,
                    [people[u.index] for u in mine],
                    mine,
                    profile if r == 0 else None,
                    py_spy if r == 0 else None,
                )
                one.engine = await ask(proc, f"engine {WARM_UP + (rounds + r) * n} {n}", 600)
                run.rounds.append(one)
            run.rss_mb = (await ask(proc, "mem"))["rss_mb"]
            await stop_bot(proc)


async def telegram_round(
    one: Round,
    api: FakeBotApi,
    proc: asyncio.subprocess.Process,
    people: list[FakeUser],
    users: list[User],
    profile: str | None,
    py_spy: str | None,
) -> None:
    """Everyone at once through Telegram; CPU and time up to the last reply."""
    spy = await start_py_spy(proc.pid, py_spy) if py_spy else None
    if profile:
        await ask(proc, "profile on")
    start = time.monotonic()
    cpu_samples: list[tuple[float, float]] = []
    done = asyncio.Event()
    cpu = asyncio.create_task(sample_cpu(proc, cpu_samples, done))
    one.finished, one.reply_s = await everyone(
        [telegram_player(p, u) for p, u in zip(people, users, strict=True)]
    )
    done.set()
    await cpu
    if profile:
        await ask(proc, f"profile off {profile}")
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled
        await spy.wait()
    # A person who cannot go on waits out a timeout: the round ended with the last reply.
    last = max(m.sent_at for p in people for m in p.inbox)
    one.elapsed_s = last - start
    one.cpu_s = cpu_until(cpu_samples, last)
    one.updates = len(one.reply_s)
    one.duplicates = sum(repeats([(m.text, json.dumps(m.markup)) for m in p.inbox]) for p in people)


async def start_py_spy(pid: int, out: str) -> asyncio.subprocess.Process:
    """py-spy (PY_SPY, or on the PATH) sampling the bot while it holds the GIL: where the
    CPU of the event loop and of every other thread goes, with little overhead."""
    spy = await asyncio.create_subprocess_exec(
        os.environ.get("PY_SPY", "py-spy"),
        *("record", "--pid", str(pid), "--gil", "--rate", "250", "--format", "raw"),
        *("--output", out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # attached
    return spy


async def sample_cpu(
    proc: asyncio.subprocess.Process, samples: list[tuple[float, float]], done: asyncio.Event
) -> None:
    """The bot's CPU time every CPU_EVERY_S, (when, seconds), until done."""
    while not done.is_set():
        samples.append((time.monotonic(), (await ask(proc, "cpu"))["cpu_s"]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), CPU_EVERY_S)
    samples.append((time.monotonic(), (await ask(proc, "cpu"))["cpu_s"]))


def cpu_until(samples: list[tuple[float, float]], end: float) -> float:
    """CPU spent from the first sample to the first one taken after `end`."""
    after = next((cpu for at, cpu in samples if at >= end), samples[-1][1])
    return after - samples[0][1]


def report_free(free: Saturation) -> None:
    rounds = len(free.rounds)
    print(
        f"cap off: {free.users} users registered at once, {rounds} rounds; "
        f"{free.median('updates'):.0f} updates in {free.median('elapsed_s'):.1f} s = "
        f"{free.median('per_second'):.0f} updates/s (median); reply p50 "
        f"{quantile(free.rounds[0].reply_s, 0.5) * 1000:.0f} ms, "
        f"p99 {quantile(free.rounds[0].reply_s, 0.99) * 1000:.0f} ms (first round); "
        f"lost {free.lost}, duplicated {free.duplicates}; RSS {free.rss_mb:.0f} MB"
    )
    for n, r in enumerate(free.rounds, 1):
        print(
            f"  round {n}: {r.per_second:.0f} updates/s; CPU per update: the bot process "
            f"{r.cpu_ms:.3f} ms, the engine alone {r.engine_cpu_ms:.3f} ms per message "
            f"({r.engine['messages'] / r.engine['wall_s']:.0f}/s); the channel adds "
            f"{r.cpu_ms - r.engine_cpu_ms:.3f} ms = {r.channel_over_engine:.2f}x the engine"
        )
    print(
        f"  median: the bot {free.median('cpu_ms'):.3f} ms, the engine "
        f"{free.median('engine_cpu_ms'):.3f} ms, telegram_cpu/engine_cpu "
        f"{free.median('channel_over_engine'):.2f}"
    )
