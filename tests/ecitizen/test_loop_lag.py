"""`[server] debug_metrics`: how late the server's event loop runs, for benchmarks and
tests, told only by a server set up to tell it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from ecitizen.server import build_web


async def get_loop_lag(make_app: Callable[..., Any], **server: Any) -> tuple[int, Any]:
    app = await make_app(server=server)
    runner = web.AppRunner(build_web(app).web)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await asyncio.sleep(0.2)  # the timer beats a few times
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/debug/loop-lag"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json() if response.status == 200 else None
            return response.status, body
    finally:
        await runner.cleanup()
        await app.close()


async def test_a_server_not_set_up_for_it_tells_nothing(make_app: Callable[..., Any]) -> None:
    status, _ = await get_loop_lag(make_app)
    assert status == 404


async def test_the_loop_lag_and_the_cpu_by_thread_when_set_up(
    make_app: Callable[..., Any],
) -> None:
    status, body = await get_loop_lag(make_app, debug_metrics=True)
    assert status == 200
    lag = body["loop_lag"]
    assert lag["samples"] > 0 and 0 <= lag["p50_ms"] <= lag["p99_ms"] <= lag["max_ms"]
    assert body["loop_cpu_s"] <= body["process_cpu_s"]
    assert "MainThread" in body["thread_cpu_s"]
