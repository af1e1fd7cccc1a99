"""The server `make bench-kiosk` measures: a real `ecitizen serve`, in a process of its own.

The configuration is a deployment's: 140 counter halls, each with its own receipt
printer (a file printer, the one every developer has), SQLite in a fresh data directory,
a Telegram bot name (so each registration ends with a deep-link QR code on the kiosk), and
`debug_metrics` on, so the server reports how late its event loop ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp


def hall_codes(count: int) -> list[str]:
    return [f"h{n:03d}" for n in range(1, count + 1)]


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def write_config(folder: Path, port: int, halls: int, shared_printer: bool) -> Path:
    lines = [
        "[data]",
        f"dir = {_toml_str(str(folder / 'var'))}",
        "[server]",
        f"port = {port}",
        "debug_metrics = true",
        "[telegram]",
        'bot_username = "ecitizen_bench_bot"',
        "[logging]",
        'level = "WARNING"',
    ]
    printers = ["file"] if shared_printer else [f"p{code}" for code in hall_codes(halls)]
    for name in printers:
        lines += [f"[printers.{name}]", 'kind = "file"', f'dir = "prints/{name}"']
    for n, code in enumerate(hall_codes(halls), start=1):
        lines += [
            "[[halls]]",
            f'code = "{code}"',
            f'name = "Шалтер сала {n}"',
            f'name_en = "Counter hall {n}"',
            f'address = "Улица {n}"',
            f'printer = "{printers[0] if shared_printer else "p" + code}"',
        ]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """`python -m ecitizen.cli --config <file> serve`, and what it used."""

    process: subprocess.Popen[bytes]
    base: str

    @staticmethod
    def start(
        folder: Path, halls: int, shared_printer: bool, profile: Path | None = None
    ) -> ServerProcess:
        port = free_port()
        config = write_config(folder, port, halls, shared_printer)
        command = [sys.executable, "-m", "ecitizen.cli", "--config", str(config), "serve"]
        if profile is not None:
            command[1:3] = ["-m", "bench.kiosk_server", str(profile.resolve())]
        log = (folder / "server.log").open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        return ServerProcess(process, f"http://127.0.0.1:{port}")

    async def wait_ready(self, http: aiohttp.ClientSession, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {self.process.returncode})")
            try:
                async with http.get(f"{self.base}/debug/loop-lag") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("the server did not start")

    def cpu_seconds(self) -> float:
        """User and system CPU of the server process, every thread."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    async def loop_lag(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """The server's loop lag since the last call, and its CPU so far."""
        async with http.get(f"{self.base}/debug/loop-lag") as r:
            return dict(await r.json())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the server closes its store cleanly
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def profiled_serve(argv: list[str]) -> int:
    """`python -m bench.kiosk_server <out> <ecitizen arguments>`: the server under cProfile,
    timed in the event loop thread's CPU time (wall time on a busy machine is mostly
    waiting for a core)."""
    import cProfile

    from ecitizen.cli import main

    profiler = cProfile.Profile(time.thread_time)
    try:
        return int(profiler.runcall(main, argv[1:]))
    finally:
        profiler.dump_stats(argv[0])


if __name__ == "__main__":
    sys.exit(profiled_serve(sys.argv[1:]))
