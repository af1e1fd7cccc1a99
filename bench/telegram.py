"""`make bench-telegram`: a TV-announcement burst against Telegram's rate cap.

Telegram lets a bot send about 30 messages per second: that cap, not our CPU, is what
citizens feel when thousands write at once. This run starts the local Bot API server
(tests/fakes, enforcing 30 messages/s overall and 1/s per chat with short bursts), queues
2,000 visit reminders in the outbox, starts our bot (the app, its outbox worker and the
Telegram channel) in a process of its own, and lets 5,000 simulated users write /start
within a few seconds. It reports the sustained send rate as a fraction of the cap,
messages lost, 429s left unhandled, and the time from a user's message to the bot's reply
(replies go before the queued reminders). A second run with the cap switched off gives the
updates handled per second; the bot process's memory is read with 5,000 conversations
open. The last line is machine-readable:
`send_rate/cap=<ratio> lost=<n> unhandled_429=<n> reply_p99_s=<seconds>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.telegram import TELEGRAM_LIMITS, SendLimits, TelegramChannel
from ecitizen.app import build_app
from ecitizen.config import parse_config
from flows.engine.messages import ConversationKey, Msg
from flows.engine.notify import InDoubt, notify
from flows.engine.records import Unit
from tests.fakes.bot_api_server import Cap, FakeBotApi
from tests.fakes.bot_api_users import FakeUser

ROOT = Path(__file__).resolve().parent.parent
UNCAPPED = SendLimits(per_second=1e6, per_chat_per_second=1e6, per_chat_burst=1000)
STALL_S = 60.0  # no message sent for this long: what is missing is lost


@dataclass
class Run:
    users: int
    reminders: int
    cap: float | None
    elapsed_s: float = 0.0
    send_rate: float = 0.0
    lost: int = 0
    duplicates: int = 0
    unhandled_429: int = 0
    throttled: int = 0
    reply_s: list[float] = field(default_factory=list)
    reply_all_s: float = 0.0  # from the first message written to the last reply
    rss_mb: float = 0.0

    def quantile(self, q: float) -> float:
        if not self.reply_s:
            return float("nan")
        ordered = sorted(self.reply_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the bot, in its own process ------------------------------------------------------------


async def serve_bot(api_url: str, token: str, data: str, capped: bool) -> int:
    app = await build_app(parse_config({"data": {"dir": data}}))
    channel = TelegramChannel(
        app, token, api_url=api_url, limits=TELEGRAM_LIMITS if capped else UNCAPPED
    )
    app.add_delivery("telegram", channel.delivery)
    await channel.start()
    app.start_workers()
    print("ready", flush=True)
    while line := await asyncio.to_thread(sys.stdin.readline):
        if line.strip() == "mem":
            print(json.dumps({"rss_mb": rss_mb()}), flush=True)
    await channel.stop_receiving()
    await app.close()
    await channel.stop()
    return 0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: the peak is the best we have

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the burst ------------------------------------------------------------------------------


async def queue_reminders(data: str, people: list[FakeUser]) -> None:
    app = await build_app(parse_config({"data": {"dir": data}}))
    reminder = {
        "ref": "KG7Q-2A9F",
        "visit": "уторак, 01.12.2026 у 09:00",
        "hall": "Крагујевац, Градска управа",
        "address": "Трг слободе 3, Крагујевац",
    }
    effects = [
        notify(
            ConversationKey("telegram", str(p.id)),
            "sr-Cyrl",
            [Msg.of("notify.reminder", **reminder)],
            f"bench-remind:{p.id}",
            in_doubt=InDoubt.RESEND,
        )
        for p in people
    ]
    await app.store.apply(Unit(effects=effects))
    await app.close()


async def start_bot(api: FakeBotApi, data: str, capped: bool) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.telegram",
        "--bot",
        "--api-url",
        api.url,
        "--token",
        api.token,
        "--data",
        data,
        *([] if capped else ["--no-cap"]),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    ready = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if ready.strip() != b"ready":
        raise RuntimeError(f"the bot process did not start: {ready!r}")
    return proc


async def ask_memory(proc: asyncio.subprocess.Process) -> float:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"mem\n")
    await proc.stdin.drain()
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
    return float(json.loads(line)["rss_mb"])


async def stop_bot(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), timeout=120)


async def until_all_sent(api: FakeBotApi, expected: int) -> None:
    """Until every expected message is sent, or nothing more is sent for STALL_S."""
    while len(api.sent) < expected:
        before = len(api.sent)
        try:
            await api.wait_until(lambda: len(api.sent) >= expected, wait_s=STALL_S)
        except TimeoutError:
            if len(api.sent) == before:
                return


async def burst(users: int, reminders: int, cap: float | None, spread_s: float) -> Run:
    run = Run(users, reminders, cap)
    limits = (Cap(cap, burst=5), Cap(1.0, burst=4)) if cap else (None, None)
    async with FakeBotApi(cap=limits[0], chat_cap=limits[1]) as api:
        writers = [api.user(f"Грађанин {i}", language_code="sr") for i in range(users)]
        reminded = [api.user(f"Подсетник {i}", language_code="sr") for i in range(reminders)]
        with tempfile.TemporaryDirectory(prefix="bench-telegram-") as data:
            if reminded:
                await queue_reminders(data, reminded)
            proc = await start_bot(api, data, capped=cap is not None)
            wrote: dict[int, float] = {}
            start = time.monotonic()
            for i, person in enumerate(writers):
                delay = start + spread_s * i / max(1, users) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                wrote[person.id] = time.monotonic()
                await person.send_text("/start")
            await until_all_sent(api, users + reminders)
            run.elapsed_s = time.monotonic() - start
            run.rss_mb = await ask_memory(proc)
            await stop_bot(proc)
        times = sorted(m.sent_at for m in api.sent)
        if len(times) > 1:
            run.send_rate = (len(times) - 1) / (times[-1] - times[0])
        replied = [p for p in writers if p.inbox]
        run.reply_s = [p.inbox[0].sent_at - wrote[p.id] for p in replied]
        if replied:
            run.reply_all_s = max(p.inbox[0].sent_at for p in replied) - start
        people = writers + reminded
        run.lost = sum(1 for p in people if not p.inbox)
        run.duplicates = sum(len(p.inbox) - 1 for p in people if len(p.inbox) > 1)
        run.unhandled_429 = api.unhandled_429()
        run.throttled = len(api.throttled)
    return run


def report(capped: Run, free: Run) -> None:
    cap = capped.cap or 0.0
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    print(
        f"capped at {cap:g} msg/s overall, 1/s per chat: {capped.users} users wrote /start, "
        f"{capped.reminders} reminders queued; done in {capped.elapsed_s:.1f} s"
    )
    print(
        f"  sent {capped.send_rate:.2f} msg/s = {capped.send_rate / cap:.3f} of the cap; "
        f"lost {capped.lost}, sent twice {capped.duplicates}, "
        f"429 received {capped.throttled}, left unhandled {capped.unhandled_429}"
    )
    print(
        f"  reply time p50 {capped.quantile(0.5):.1f} s, p99 {capped.quantile(0.99):.1f} s "
        f"(at the cap, {capped.users} replies alone take {capped.users / cap:.0f} s); "
        f"bot process RSS {capped.rss_mb:.0f} MB with {capped.users} conversations"
    )
    rate = free.users / free.reply_all_s if free.reply_all_s else float("nan")
    print(
        f"cap off: {free.users} users answered in {free.reply_all_s:.1f} s = {rate:.0f} "
        f"updates/s; reply p50 {free.quantile(0.5):.2f} s, p99 {free.quantile(0.99):.2f} s; "
        f"lost {free.lost}; bot process RSS {free.rss_mb:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.telegram", description=__doc__)
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--reminders", type=int, default=2000)
    p.add_argument("--cap", type=float, default=30.0, help="Telegram's messages/s (default 30)")
    p.add_argument("--spread-s", type=float, default=3.0, help="the users write within this")
    p.add_argument("--quick", action="store_true", help="500 users and 200 reminders")
    p.add_argument("--bot", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--api-url", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--no-cap", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.bot:
        return asyncio.run(serve_bot(args.api_url, args.token, args.data, not args.no_cap))
    users, reminders = (500, 200) if args.quick else (args.users, args.reminders)
    capped = asyncio.run(burst(users, reminders, args.cap, args.spread_s))
    free = asyncio.run(burst(users, 0, None, 0.0))
    report(capped, free)
    print(
        f"send_rate/cap={capped.send_rate / args.cap:.3f} lost={capped.lost} "
        f"unhandled_429={capped.unhandled_429} reply_p99_s={capped.quantile(0.99):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
