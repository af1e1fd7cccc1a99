"""`ecitizen serve` as `make run` starts it: a newcomer finds the kiosk, display and chat."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.commands import start_ecitizen
from tests.ecitizen.cluster import free_port
from tests.fakes.bot_api_server import FakeBotApi


async def test_the_server_serves_the_landing_kiosk_display_and_chat_then_stops_cleanly(
    tmp_path: Path,
) -> None:
    proc, port = await start_serve(tmp_path, "")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(base + "/") as landing:
                        page = await landing.text()
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server did not come up")
            for link in ("/kiosk/kg", "/display/kg", "/chat"):
                assert f'href="{link}"' in page
                async with http.get(base + link) as response:
                    assert response.status == 200
                    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            async with http.get(base + "/kiosk/nowhere") as unknown:
                assert unknown.status == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    assert proc.stderr is not None
    log = (await proc.stderr.read()).decode()
    assert "serving on" in log and "stopping" in log and "Traceback" not in log


async def start_serve(tmp_path: Path, extra: str) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n[server]\nport = {port}\n{extra}', encoding="utf-8"
    )
    proc = await start_ecitizen(
        config,
        "serve",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return proc, port


async def test_with_a_token_the_server_answers_in_telegram(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        proc, _ = await start_serve(
            tmp_path, f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\n'
        )
        try:
            ana = api.user("Ана", language_code="en")
            await ana.start()
            first = await ana.next_message(wait_s=30)
            assert "Welcome" in first.text and "Become an eCitizen" in first.buttons
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), timeout=30) == 0


async def test_a_wrong_token_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        proc, _ = await start_serve(
            tmp_path, f'[telegram]\ntoken = "123:wrong"\napi_url = "{api.url}"\n'
        )
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 2
        assert proc.stderr is not None
        said = (await proc.stderr.read()).decode()
        assert "Telegram refused the bot token" in said and "123:wrong" not in said
