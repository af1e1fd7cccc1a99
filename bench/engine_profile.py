"""`python -m bench.engine --profile`: where our engine's CPU per message goes.

An unprofiled pass gives the CPU per message (the event loop's thread and the rest, i.e.
SQLite's threads); a pass under cProfile splits the event loop's share by the part of the
code each function belongs to, then lists cProfile's top functions.
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.dialogue import User, drive, script
from bench.peers import Mode, make_peer

# Where the event loop's time goes, by the part of the code a function belongs to.
_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("store: load", ("(load_conversation)", "state/values.py")),
    ("store: apply", ("state/conversations.py", "state/writes.py", "engine/codec.py")),
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
    ("our Telegram channel", ("/bot/",)),
    ("Telegram client (PTB)", ("/telegram/", "httpx", "json/")),
    ("aiogram", ("aiogram/", "pydantic", "aiohttp/")),
    ("rendering", ("flows/engine/i18n.py", "cyrtranslit", "bench/dialogue.py", "re/")),
    ("ref code", ("random.py", "urandom")),
    ("engine logic", ("flows/", "ecitizen/", "dataclasses", "enum.py")),
    ("bench driver", ("bench/",)),
)


def _part(where: str) -> str | None:
    return next((name for name, keys in _PARTS if any(k in where for k in keys)), None)


def _where(func: tuple[str, int, str]) -> str:
    return f"{func[0]}:{func[1]}({func[2]})"


async def profile_engine(
    users: Sequence[User], in_flight: int, mode: Mode = "logic", name: str = "engine"
) -> None:
    """cProfile of an implementation under load (ours by default); shares scaled to the
    loop thread's CPU per message measured in an unprofiled pass after a warm-up (SQLite's
    own work runs on its threads, shown apart)."""
    lengths = [len(script(u)) for u in users]
    for _warm_up_then_measured in range(2):
        with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
            peer = make_peer(name, mode, users, Path(tmp))
            await peer.start()
            timing = await drive(peer.send, lengths, in_flight)
            await peer.close()
    per_msg = timing.loop_cpu_us_per_message
    print(f"{name}, {mode}, unprofiled: {timing.per_second:,.0f} msg/s; CPU per message:")
    print(f"  {timing.cpu_us_per_message:.0f} us in all, event loop thread {per_msg:.0f} us")
    with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp:
        peer = make_peer(name, mode, users, Path(tmp))
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
