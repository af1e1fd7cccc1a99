"""Our keep-alive connections to the Bot API server, against a real HTTP server: answers
with a length or in chunks, connections the server closes, answers that come too late."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.telegram.wire import Connections

SLOW_S = 1.5


async def answer(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    how = request.match_info["how"]
    if how == "chunked":
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for piece in (b'{"ok":true,', b'"result":', body):
            await response.write(piece)
        await response.write_eof()
        return response
    if how == "close":
        return web.Response(body=body, headers={"Connection": "close"})
    if how == "slow":
        await asyncio.sleep(SLOW_S)
    return web.Response(body=body)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/bot1:x/{how}", answer)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot1:x"
    await runner.cleanup()


async def post(wire: Connections, how: str, body: bytes, read_s: float = 5.0) -> tuple[int, bytes]:
    return await wire.post(how, body, "application/json", connect_timeout=5, read_timeout=read_s)


async def test_answers_with_a_length_or_in_chunks_are_read_whole(server: str) -> None:
    wire = Connections(server, limit=2, user_agent="test")

    assert await post(wire, "plain", b'{"a":1}') == (200, b'{"a":1}')
    assert await post(wire, "chunked", b"[1,2,3]}") == (200, b'{"ok":true,"result":[1,2,3]}')
    assert await post(wire, "plain", b"again") == (200, b"again")  # the same connection
    await wire.close()


async def test_connections_the_server_closed_are_not_used_again(server: str) -> None:
    wire = Connections(server, limit=1, user_agent="test")

    assert await post(wire, "close", b"1") == (200, b"1")  # the server says: closing
    assert await post(wire, "plain", b"2") == (200, b"2")
    await asyncio.sleep(0.5)  # the server's keep-alive ends: it closes the idle connection
    assert await post(wire, "plain", b"3") == (200, b"3")
    await wire.close()


async def test_a_late_answer_is_a_timeout_and_never_taken_for_the_next_one(server: str) -> None:
    wire = Connections(server, limit=1, user_agent="test")

    with pytest.raises(TimeoutError):
        await post(wire, "slow", b"late", read_s=0.1)
    await asyncio.sleep(SLOW_S)  # the late answer arrives meanwhile

    assert await post(wire, "plain", b"next") == (200, b"next")
    await wire.close()
