"""A kiosk conversation left half-way by a server that was killed (SIGKILL) is gone from
everywhere, the database file included, once its idle limit and warning have passed and a
server runs again: nothing personal waits for the 30-day purge (issue 10)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.commands import start_ecitizen
from tests.ecitizen.test_serve import free_port
from tests.kiosk.kiosk_client import JMBG, KioskClient
from tests.postgres import fresh_schema
from tests.privacy_search import columns_holding, files_holding

PERSONAL = [JMBG, "Петровић", "001234567", "1234567"]
# idle 1 s, then a 1 s warning: the server's sweep comes a few seconds after that
KIOSK = "[kiosk]\nidle_seconds = 1\nidle_warning_seconds = 1\n"
GONE_WITHIN_S = 60.0


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'ecitizen.db'}"
    else:
        async with fresh_schema() as (url, _):
            yield url


async def serving(tmp_path: Path, url: str) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\ndatabase = "{url}"\n[server]\nport = {port}\n{KIOSK}',
        encoding="utf-8",
    )
    proc = await start_ecitizen(
        config,
        "serve",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{base}/kiosk/kg"):
                    return proc, base
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.1)
    raise AssertionError("the server did not come up")


async def half_way(base: str) -> None:
    """Name, JMBG, ID card and phone typed at the kiosk; then the server dies."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"{base}/kiosk/kg")
        await kiosk.state()
        await kiosk.send(command="language", payload="sr-Cyrl")
        await kiosk.choose("menu.register")
        for kind, value in (
            ("choice", "ok"),
            ("choice", "yes"),
            ("text", "Петар"),
            ("text", "Петровић"),
            ("text", JMBG),
            ("text", "001234567"),
            ("text", "064 123 4567"),
        ):
            await kiosk.send(**{kind: value})


async def left_anywhere(url: str, data_dir: Path) -> list[str]:
    found = sorted(await columns_holding(url, PERSONAL))
    if url.startswith("sqlite:"):  # the database file, its WAL and shared memory too
        found += [str(p.name) for p in files_holding(data_dir, PERSONAL)]
    return found


async def gone(url: str, data_dir: Path) -> list[str]:
    """What is still left once it should be gone (the sweep runs every few seconds)."""
    left = await left_anywhere(url, data_dir)
    for _ in range(int(GONE_WITHIN_S / 0.5)):
        if not left:
            break
        await asyncio.sleep(0.5)
        left = await left_anywhere(url, data_dir)
    return left


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_kiosk_conversation_cut_off_by_sigkill_is_gone_after_its_idle_limit(
    tmp_path: Path, kind: str
) -> None:
    async with database(kind, tmp_path) as url:
        proc, base = await serving(tmp_path, url)
        await half_way(base)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert await left_anywhere(url, tmp_path / "var")  # the crash left it all there

        proc, _ = await serving(tmp_path, url)  # a server runs again (any process)
        try:
            assert await gone(url, tmp_path / "var") == []
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
