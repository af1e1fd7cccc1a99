"""`make bench-kiosk`: 200 kiosks registering at once, over HTTP, against the real server.

Each simulated kiosk is its own browser session (cookie jar) and plays what kiosk.js sends:
the page, the current screen, the language, "Become an eCitizen", every answer of the
registration (walk-in, so slot capacity does not interfere), the summary's "Send", and the
wipe at the end. The server is the real one, in a process of its own: aiohttp on
127.0.0.1, the engine on a SQLite store, the outbox worker running. For comparison, the
same dialogues are also played straight into the engine (no HTTP) in the same run.
Prints requests per second and p50/p99 latency per step; the last line is machine-readable:
`kiosk_rps=<n> step_p99_ms=<ms> errors=<n>` (step_p99_ms: the slowest step's p99).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_runner import AppRunner

from bench.dialogue import User, clock, make_users
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from ecitizen.server import build_web
from flows.engine.messages import Command, Inbound
from kiosk.sessions import conversation_key

HALL = "kg"


def steps(user: User) -> list[tuple[str, dict[str, str]]]:
    """(step name, message) in the order a kiosk sends them after loading the page."""
    return [
        ("language", {"command": "language", "payload": user.language}),
        ("menu", {"choice": "menu.register"}),
        ("intro", {"choice": "ok"}),
        ("consent", {"choice": "yes"}),
        ("first_name", {"text": user.first_name}),
        ("last_name", {"text": user.last_name}),
        ("jmbg", {"text": user.jmbg}),
        ("id_number", {"text": user.id_number}),
        ("phone", {"text": user.phone}),
        ("email", {"choice": "skip"}),
        ("visit", {"choice": "walk_in"}),
        ("submit", {"choice": "submit"}),
        ("wipe", {"command": "wipe"}),
    ]


@dataclass
class Run:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    registered: int = 0
    cpu_seconds: float = 0.0  # the server's (or the engine's) own CPU time

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    def p(self, step: str, q: float) -> float:
        values = sorted(self.latencies_ms[step])
        return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def make_app(data_dir: Path) -> App:
    raw: dict[str, Any] = {
        "data": {"dir": str(data_dir)},
        "telegram": {"bot_username": "ecitizen_bench_bot"},  # a QR on the last screen
        "outbox": {"poll_seconds": 0.2},
    }
    return await build_app(parse_config(raw), clock=clock)


def hall_web(app: App) -> web.Application:
    """The shell's own web application, exactly as `ecitizen serve` assembles it."""
    return build_web(app).web


async def kiosk_session(connector: aiohttp.BaseConnector, base: str, user: User, run: Run) -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP address
    async with aiohttp.ClientSession(
        connector=connector, connector_owner=False, cookie_jar=jar
    ) as http:

        async def timed(step: str, method: str, url: str, body: Any = None) -> Any:
            t0 = time.perf_counter()
            try:
                async with http.request(method, url, json=body) as r:
                    data = await (r.json() if "json" in r.content_type else r.text())
                    ok = r.status == 200
            except aiohttp.ClientError:
                data, ok = None, False
            run.latencies_ms[step].append((time.perf_counter() - t0) * 1000)
            run.requests += 1
            if not ok:
                run.errors += 1
            return data if ok else None

        await timed("page", "GET", f"{base}/kiosk/{HALL}")
        state = await timed("state", "GET", f"{base}/kiosk/{HALL}/api/state")
        seq = int(state["seq"]) if state else 0
        for step, message in steps(user):
            answer = await timed(
                step, "POST", f"{base}/kiosk/{HALL}/api/message", {"seq": seq + 1, **message}
            )
            if answer is None:
                return
            seq = int(answer["seq"])
            if step == "submit" and answer["screen"].get("reference"):
                run.registered += 1


async def serve(data_dir: Path, ready: Connection) -> None:
    """The server, in a process of its own (so the load generator does not share its CPU)."""
    app = await make_app(data_dir)
    app.start_workers()
    runner = AppRunner(hall_web(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    ready.send(runner.addresses[0][1])
    cpu_before = time.process_time()
    try:
        await stop.wait()
        ready.send(time.process_time() - cpu_before)  # the server's CPU seconds under load
    finally:
        await runner.cleanup()
        await app.close()


def serve_process(data_dir: Path, ready: Connection) -> None:
    asyncio.run(serve(data_dir, ready))


async def load(base: str, users: Sequence[User], in_flight: int) -> Run:
    run = Run()
    connector = aiohttp.TCPConnector(limit=in_flight)
    queue = iter(users)

    async def lane() -> None:
        for user in queue:
            await kiosk_session(connector, base, user, run)

    start = time.perf_counter()
    try:
        await asyncio.gather(*(lane() for _ in range(in_flight)))
        run.seconds = time.perf_counter() - start
    finally:
        await connector.close()
    return run


def over_http(users: Sequence[User], in_flight: int, data_dir: Path) -> Run:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    server = context.Process(target=serve_process, args=(data_dir, send), daemon=True)
    server.start()
    try:
        if not receive.poll(60):
            raise RuntimeError("the server did not start")
        port = int(receive.recv())
        run = asyncio.run(load(f"http://127.0.0.1:{port}", users, in_flight))
    finally:
        server.terminate()  # SIGTERM: the server closes its store cleanly
    if receive.poll(30):
        run.cpu_seconds = float(receive.recv())
    server.join(30)
    return run


async def into_engine(users: Sequence[User], in_flight: int, data_dir: Path) -> Run:
    """The same dialogues as Inbounds straight into the engine: no HTTP, no rendering."""
    app = await make_app(data_dir)
    run = Run()
    queue = iter(users)

    async def lane() -> None:
        for user in queue:
            key = conversation_key(HALL, f"bench{user.index}")
            for n, (step, message) in enumerate(steps(user), start=1):
                command = Command(message["command"]) if "command" in message else None
                inbound = Inbound(
                    key,
                    text=message.get("text"),
                    choice=message.get("choice"),
                    command=command,
                    payload=message.get("payload"),
                    message_id=f"{user.index}:{n}",
                )
                t0 = time.perf_counter()
                replies = await app.handle(inbound)
                run.latencies_ms[step].append((time.perf_counter() - t0) * 1000)
                run.requests += 1
                if step == "submit" and replies and replies[-1].reference:
                    run.registered += 1

    start, cpu = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(lane() for _ in range(in_flight)))
        run.seconds = time.perf_counter() - start
        run.cpu_seconds = time.process_time() - cpu
    finally:
        await app.close()
    return run


def report(http_run: Run, engine_run: Run, users: int) -> None:
    out = sys.stdout.write
    out(f"{users} kiosk sessions through registration, all at once\n\n")
    out(f"{'step':<12}{'http p50':>10}{'http p99':>10}{'engine p50':>12}{'engine p99':>12}  ms\n")
    for step in ["page", "state", *(s for s, _ in steps(make_users(1)[0]))]:
        e50 = f"{engine_run.p(step, 0.5):.1f}" if engine_run.latencies_ms[step] else "-"
        e99 = f"{engine_run.p(step, 0.99):.1f}" if engine_run.latencies_ms[step] else "-"
        out(
            f"{step:<12}{http_run.p(step, 0.5):>10.1f}{http_run.p(step, 0.99):>10.1f}"
            f"{e50:>12}{e99:>12}\n"
        )
    out(
        f"\nover HTTP: {http_run.requests} requests in {http_run.seconds:.2f} s = "
        f"{http_run.rps:.0f} requests/s, {http_run.registered} registered, "
        f"{http_run.errors} errors; server CPU {http_run.cpu_ms_per_request:.2f} ms/request\n"
        f"engine alone: {engine_run.requests} messages in {engine_run.seconds:.2f} s = "
        f"{engine_run.rps:.0f} messages/s, {engine_run.registered} registered; "
        f"CPU {engine_run.cpu_ms_per_request:.2f} ms/message\n"
        f"HTTP/engine throughput: {http_run.rps / max(engine_run.rps, 1e-9):.2f} "
        f"(the load generator shares the machine's cores with the server)\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args(argv)
    users = make_users(args.sessions)
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        engine_run = asyncio.run(into_engine(users, args.sessions, Path(tmp) / "engine"))
        http_run = over_http(users, args.sessions, Path(tmp) / "http")
    report(http_run, engine_run, len(users))
    step_p99 = max(http_run.p(step, 0.99) for step in http_run.latencies_ms)
    errors = http_run.errors + (len(users) - http_run.registered)
    sys.stdout.write(f"kiosk_rps={http_run.rps:.0f} step_p99_ms={step_p99:.0f} errors={errors}\n")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
