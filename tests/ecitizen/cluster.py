"""`ecitizen serve` processes for tests: started, killed (SIGKILL) and started again.

Each server is a real subprocess with its own log file (stderr), so a test can run many
of them for minutes without a pipe filling up. The configuration is written as an
operator would write it; several servers share everything but their port (there is no
setting to give each process its own port in one file).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.commands import start_ecitizen

READY = b"serving on"
START_S = 60.0  # a cold start on a busy two-core machine takes a few seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"no TOML for {value!r}")


def toml(config: Mapping[str, Any]) -> str:
    """Sections ({"server": {...}}), arrays of tables ({"halls": [{...}]}) and nested
    tables ({"printers": {"kiosk": {...}}}), as config.example.toml writes them."""
    lines: list[str] = []
    for section, body in config.items():
        if isinstance(body, list):
            for table in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        elif all(isinstance(v, Mapping) for v in body.values()) and body:
            for name, table in body.items():
                lines.append(f"[{section}.{name}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Server:
    """One `ecitizen serve` process (started again as often as a test likes)."""

    name: str
    config: Path
    port: int
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0
    _log_from: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> None:
        self._log_from = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.proc = await start_ecitizen(
                self.config,
                "serve",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1

    async def ready(self, wait_s: float = START_S) -> None:
        """Until this start logged "serving on" (the port, the bots and workers are up)."""
        async with asyncio.timeout(wait_s):
            while READY not in self.log_since_start():
                if not self.alive:
                    raise AssertionError(f"{self.name} exited:\n{self.log_since_start()!r}")
                await asyncio.sleep(0.05)

    def log_since_start(self) -> bytes:
        with self.log_path.open("rb") as log:
            log.seek(self._log_from)
            return log.read()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine or the process dies."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self) -> int | None:
        """SIGTERM and wait (the clean way); the exit status, None if it was not running."""
        if not self.alive:
            return None
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout=30)
        except TimeoutError:
            await self.kill()
            return None


def make_servers(tmp: Path, names: Sequence[str], config: Mapping[str, Any]) -> list[Server]:
    """One config file per server: `config` with [server] port set to the server's own."""
    servers = []
    for name in names:
        port = free_port()
        own = {**config, "server": {**config.get("server", {}), "port": port}}
        path = tmp / f"{name}.toml"
        path.write_text(toml(own), encoding="utf-8")
        servers.append(Server(name, path, port, tmp / f"{name}.log"))
    return servers


async def run_cli(config: Path, *args: str) -> tuple[int, str]:
    """`ecitizen --config <config> <args>` as an operator runs it: (exit status, output)."""
    proc = await start_ecitizen(
        config,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")
