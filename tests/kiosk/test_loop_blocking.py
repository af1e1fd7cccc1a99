"""No request keeps the event loop: every kiosk of a server, every web chat and every hall
display waits on the same loop, so CPU-heavy work (QR codes, slips, previews, hashing)
runs in threads. The watch (tests/loopwatch.py) fails a test on a stall of more than
50 ms that a busy machine does not explain, and says where the loop was."""

from __future__ import annotations

import asyncio
import gc
import time

import aiohttp
import pytest

from flows.engine.records import PrintStatus
from printing.connections import previews_written
from tests.kiosk.chat_client import ChatClient, register_in_chat
from tests.kiosk.hall_server import HallServer
from tests.kiosk.kiosk_client import KioskClient
from tests.loopwatch import LoopWatch
from tests.waiting import eventually


def keep_busy(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_the_watch_catches_a_loop_kept_asleep_or_busy() -> None:
    async with LoopWatch().watching() as watch:
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # noqa: ASYNC251 (a blocking call on the loop, on purpose)
        await asyncio.sleep(0.05)
        keep_busy(0.2)  # CPU-heavy work on the loop
        await asyncio.sleep(0.05)
    assert len(watch.stalls) == 2, [str(s) for s in watch.stalls]
    asleep, busy = watch.stalls
    assert "time.sleep(0.2)" in asleep.where
    assert "keep_busy" in busy.where


async def test_the_watch_names_the_garbage_collector_when_it_kept_the_loop() -> None:
    async with LoopWatch().watching() as watch:
        await asyncio.sleep(0.05)
        held = [[[] for _ in range(8)] for _ in range(300_000)]  # 2.7 million containers
        await asyncio.sleep(0.05)
        gc.collect()  # the collector walks them all, holding the interpreter
        await asyncio.sleep(0.05)
        del held
    assert any("garbage collector" in stall.where for stall in watch.stalls), [
        str(s) for s in watch.stalls
    ]


async def test_a_kiosk_registration_its_slips_and_a_web_chat_keep_the_loop_free(
    hall: HallServer,
) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with LoopWatch().watching() as watch, aiohttp.ClientSession(cookie_jar=jar) as http:
        kiosk = KioskClient(http, f"{hall.url}/kiosk/kg")
        await kiosk.state()
        submitted = await kiosk.register()  # the screen with the chat's QR code
        assert submitted["screen"]["reference"] and submitted["screen"]["qr"]

        async def slips_printed() -> bool:  # the receipt and the ticket, on the file printer
            jobs = await hall.app.store.print_jobs()
            return len(jobs) == 2 and all(job.status is PrintStatus.PRINTED for job in jobs)

        await eventually(slips_printed, "the kiosk's slips are printed")
        await asyncio.to_thread(previews_written)

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as own:
            await register_in_chat(ChatClient(own, hall.url))  # its last turn draws a QR
    assert watch.beats > 0
    if watch.stalls:
        pytest.fail("\n\n".join(str(stall) for stall in watch.stalls), pytrace=False)
