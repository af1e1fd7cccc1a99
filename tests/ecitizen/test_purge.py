"""The purge runs in one process at a time, whichever process (server or command) asks."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ecitizen.app import build_app
from ecitizen.config import parse_config
from ecitizen.purge import PURGE_LEASE, purge_once
from state import open_store
from tests.commands import start_ecitizen
from tests.state import conftest as state_fixtures

backend = state_fixtures.backend  # the same test on SQLite and PostgreSQL


async def test_while_one_process_purges_another_does_not(
    backend: state_fixtures.Backend, tmp_path: Path
) -> None:
    config = parse_config({"data": {"dir": str(tmp_path / "var"), "database": backend.url}})
    app = await build_app(config, clock=backend.clock)
    other = await backend.open()  # another process, purging right now
    try:
        assert await other.acquire_lease(PURGE_LEASE, other.owner, 60)
        assert await purge_once(app) is None
        assert await other.release_lease(PURGE_LEASE, other.owner)

        done = await purge_once(app)
        assert done is not None and (done.expired, done.erased) == (0, 0)
        assert await other.acquire_lease(PURGE_LEASE, other.owner, 60)  # released after
    finally:
        await app.close()


async def test_the_purge_command_says_so_when_another_process_is_purging(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{var}"\n', encoding="utf-8")
    server = await open_store(f"sqlite:///{var / 'ecitizen.db'}")
    try:
        assert await server.acquire_lease(PURGE_LEASE, server.owner, 60)
        proc = await start_ecitizen(
            config,
            "purge",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        await server.close()
    assert proc.returncode == 1
    assert "another process is purging" in err.decode() and out == b""
