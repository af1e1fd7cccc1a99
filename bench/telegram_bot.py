"""The bot of `make bench-telegram` (and of bench-viber's Telegram run), in a process of
its own: the app, its outbox worker and the Telegram channel, talking to the local Bot API
server, which runs in the benchmark's process with the simulated people. Both sides are
here: serve_bot in the bot's process, start_bot / ask / stop_bot in the benchmark's.

The benchmark steers it by lines on stdin, each answered by one JSON line on stdout:
- `mem`: the process's RSS;
- `cpu`: the process's CPU time so far (user + system, every thread);
- `profile on` / `profile off <path>`: cProfile of the event loop's thread, stats to path;
- `engine <first> <count>`: the same registration dialogue (bench/dialogue.py) for
  `count` other citizens, all at once, straight through `App.handle` (no Telegram at all):
  what the engine alone spends per message, measured in this very process.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.dialogue import Say, User, make_users, script
from bot.telegram import TELEGRAM_LIMITS, SendLimits, TelegramChannel
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.engine.messages import Command, ConversationKey, Inbound
from tests.fakes.bot_api_server import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent

UNCAPPED = SendLimits(per_second=1e6, per_chat_per_second=1e6, per_chat_burst=1000)
ENGINE_KEYS = 900_000_000  # the direct engine run's chats: far from the fake users' ids


async def serve_bot(api_url: str, token: str, data: str, capped: bool) -> int:
    app = await build_app(parse_config({"data": {"dir": data}}))
    channel = TelegramChannel(
        app, token, api_url=api_url, limits=TELEGRAM_LIMITS if capped else UNCAPPED
    )
    app.add_delivery("telegram", channel.delivery)
    await channel.start()
    app.start_workers()
    print("ready", flush=True)
    profiler: cProfile.Profile | None = None
    while line := await asyncio.to_thread(sys.stdin.readline):
        command, *args = line.split()
        answer: dict[str, Any] = {}
        if command == "mem":
            answer = {"rss_mb": rss_mb()}
        elif command == "cpu":
            answer = {"cpu_s": cpu_seconds()}
        elif command == "profile" and args[0] == "on":
            profiler = cProfile.Profile(time.thread_time)  # CPU, not time waited
            profiler.enable()
        elif command == "profile" and profiler is not None:
            profiler.disable()
            profiler.dump_stats(args[1])
        elif command == "engine":
            answer = await engine_alone(app, int(args[0]), int(args[1]))
        print(json.dumps(answer), flush=True)
    await channel.stop_receiving()
    await app.close()
    await channel.stop()
    return 0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the peak


def engine_inbounds(user: User) -> list[Inbound]:
    """What the Telegram channel makes of the user's updates, without Telegram."""
    key = ConversationKey("telegram", str(ENGINE_KEYS + user.index))
    return [_inbound(key, f"tg:{key.user_key}:{n}", say) for n, say in enumerate(script(user))]


def _inbound(key: ConversationKey, message_id: str, say: Say) -> Inbound:
    if say.kind == "start":
        return Inbound(key, command=Command.START, message_id=message_id)
    if say.kind == "choice":
        return Inbound(key, choice=say.value, message_id=message_id)
    return Inbound(key, text=say.value, message_id=message_id)


async def engine_alone(app: App, first: int, count: int) -> dict[str, float]:
    """Every user's dialogue at once, each message after the previous one's reply."""
    users = make_users(first + count)[first:]
    dialogues = [engine_inbounds(u) for u in users]

    async def play(inbounds: list[Inbound]) -> int:
        for inbound in inbounds:
            await app.handle(inbound)
        return len(inbounds)

    before, start = cpu_seconds(), time.monotonic()
    messages = sum(await asyncio.gather(*(play(d) for d in dialogues)))
    return {
        "messages": messages,
        "cpu_s": cpu_seconds() - before,
        "wall_s": time.monotonic() - start,
    }


# -- the benchmark's side ----------------------------------------------------------------


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
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *_python_path()])},
    )
    assert proc.stdout is not None
    ready = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if ready.strip() != b"ready":
        raise RuntimeError(f"the bot process did not start: {ready!r}")
    return proc


async def ask(proc: asyncio.subprocess.Process, command: str, wait_s: float = 30) -> Any:
    """One command to the bot process (bench/telegram_bot.py), its JSON answer."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(command.encode() + b"\n")
    await proc.stdin.drain()
    return json.loads(await asyncio.wait_for(proc.stdout.readline(), timeout=wait_s))


async def stop_bot(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), timeout=120)


def _python_path() -> list[str]:
    return [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
