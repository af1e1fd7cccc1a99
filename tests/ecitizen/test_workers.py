"""`ecitizen serve --workers N`: N real server processes on one port, PostgreSQL only."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from ecitizen.config import ConfigError, parse_config
from flows.conversations.slips import TicketSlip
from flows.engine.records import Unit
from printing.samples import SAMPLE_HALL
from state import open_store
from state.leases import printer_lease
from tests.commands import start_ecitizen
from tests.ecitizen.test_serve import free_port
from tests.state import conftest as state_fixtures
from tests.waiting import eventually

backend = state_fixtures.backend
SERVING = re.compile(r"serving on http://\S+ \(process (\d+)\)")


def write_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n{extra}\n[server]\nport = {port}\n',
        encoding="utf-8",
    )
    return config


async def ecitizen(config: Path, *args: str) -> asyncio.subprocess.Process:
    return await start_ecitizen(
        config,
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("how", ["--workers", "[server] workers"])
async def test_several_workers_on_sqlite_stop_at_start_with_a_clear_message(
    tmp_path: Path, how: str
) -> None:
    if how == "--workers":
        proc = await ecitizen(write_config(tmp_path, free_port()), "serve", "--workers", "2")
    else:
        config = tmp_path / "config.toml"
        config.write_text(f'[data]\ndir = "{tmp_path}"\n[server]\nworkers = 2\n', "utf-8")
        proc = await ecitizen(config, "serve")
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "PostgreSQL" in lines[0] and "SQLite" in lines[0] and "2 workers" in lines[0]


@pytest.mark.parametrize("workers", [0, -1])
def test_a_number_of_workers_below_one_is_refused(workers: int) -> None:
    with pytest.raises(ConfigError, match=r"\[server\] workers"):
        parse_config({"server": {"workers": workers}})


def listening_sockets(pid: int, port: int) -> int:
    """How many listening TCP sockets on `port` the process holds (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                count += 1
    return count


def alive(pid: int) -> bool:
    """Running (an ended process not yet reaped, a zombie, counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Log:
    """The supervisor's and workers' stderr, read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.lines: list[str] = []
        assert proc.stderr is not None
        self._task = asyncio.create_task(self._read(proc.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode())

    def serving(self) -> list[int]:
        return [int(m.group(1)) for line in self.lines if (m := SERVING.search(line))]

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_workers_answer_on_one_port_and_a_dead_one_is_replaced(
    backend: state_fixtures.Backend, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(tmp_path, port, f'database = "{backend.url}"')
    proc = await ecitizen(config, "serve", "--workers", "2")
    log = Log(proc)
    try:

        async def two_serving() -> bool:
            return len(set(log.serving())) == 2

        await eventually(two_serving, "two workers serving")
        first, second = log.serving()
        assert first != second
        assert listening_sockets(first, port) == listening_sockets(second, port) == 1
        await answered(port)

        # the workers are peers on one database: one of them drives the printer (as soon
        # as it has a slip to print)
        store = await open_store(backend.url)
        try:
            await store.apply(a_slip_to_print())

            async def driven() -> bool:
                return await store.lease_holder(printer_lease("file")) is not None

            await eventually(driven, "a worker driving the printer")
            held = await store.lease_holder(printer_lease("file"))
        finally:
            await store.close()
        assert held is not None and held[0].split(":")[1] in (str(first), str(second))

        os.kill(first, signal.SIGKILL)
        await answered(port)  # the other worker still answers

        async def replaced() -> bool:
            return len(set(log.serving())) == 3

        await eventually(replaced, "a new worker serving in place of the dead one")
        third = log.serving()[-1]
        assert listening_sockets(third, port) == 1
        await answered(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=90)
    assert code == 0
    assert "Traceback" not in log.text
    assert not [pid for pid in log.serving() if alive(pid)]  # every worker ended


def a_slip_to_print() -> Unit:
    slip = TicketSlip(
        language="sr-Cyrl",
        hall=SAMPLE_HALL,
        ticket="B001",
        service_key="service.help",
        issued_at=datetime.now(UTC),
        ahead=0,
        deep_link=None,
    )
    unit = Unit()
    unit.print_jobs.append(("ticket:test:B001", "file", "ticket", slip.payload()))
    return unit


async def answered(port: int) -> None:
    """A fresh connection (so the kernel picks a worker anew) gets the landing page."""

    async def landing() -> bool:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            try:
                async with http.get(f"http://127.0.0.1:{port}/") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

    for _ in range(10):
        await eventually(landing, "the landing page answered")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_workers_stop_when_their_supervisor_is_killed(
    backend: state_fixtures.Backend, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(tmp_path, port, f'database = "{backend.url}"')
    proc = await ecitizen(config, "serve", "--workers", "2")
    log = Log(proc)

    async def two_serving() -> bool:
        return len(set(log.serving())) == 2

    await eventually(two_serving, "two workers serving")
    proc.kill()
    await proc.wait()

    async def all_stopped() -> bool:
        return not [pid for pid in log.serving() if alive(pid)]

    await eventually(all_stopped, "the orphaned workers stopped")
