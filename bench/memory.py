"""`make bench-memory`: the server's memory with 10,000 web chat conversations open at once.

The server is the real one (`ecitizen serve`'s application and web routes, the outbox and
printer workers running) in a process of its own, on a fresh SQLite database. Each
simulated person is a browser session of its own (a cookie jar) and goes through the web
chat's JSON API as chat.js does: /start, a language, "Become an eCitizen", the intro, the
consent, first name, last name, JMBG. Then every one of them, in a second quick round,
types their ID card number, so that all the conversations were used within the last few
seconds (the conversation cache forgets a copy 45 s after its last use: the round makes
sure the figure is for 10,000 conversations in use together, not for the last minute's).
Everyone stops mid-registration, with the phone number still to come. Last, every page
is open at once, as in a browser: chat.js keeps one long poll waiting (GET
/chat/api/events) for as long as the page is open.

The server's RSS (VmRSS of /proc/<pid>/status) is read after a warm-up of 100 other
conversations ("before"), after the second round ("in use": what the conversations and
the caches hold), and with every page open ("pages open": each also holds an HTTP
request in flight). Per conversation is the difference from "before" divided by the
conversations. `--trace` runs the server under tracemalloc and prints where the Python
memory added was allocated, by file and by line. The last line is machine-readable:
`rss_mib=<pages open> per_conversation_kb=<n> conversations=<n> in_use_rss_mib=<n>
in_use_per_conversation_kb=<n>` (with `--no-pages`, rss_mib is the "in use" figure).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_runner import AppRunner

from bench.dialogue import User, make_users
from ecitizen.app import build_app
from ecitizen.config import parse_config
from ecitizen.server import build_web

WARM_UP = 100
PAGES_AT_ONCE = 250
TRACE_FRAMES = 1
TRACE_LINES = 30


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user and system, every thread)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the server ----------------------------------------------------------------------------


def _give_back_free_memory() -> bool:
    """glibc's malloc_trim: what the C allocator holds free goes back to the system (what
    the RSS then shows is what is in use, not what earlier peaks left behind)."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def _cache_figures(app: Any, web_app: web.Application) -> dict[str, Any]:
    """What the store's conversation cache holds now (entries and their bytes, if known),
    and how many web chat pages wait in a long poll."""
    cache = getattr(app.store, "_conversations", None)
    figures: dict[str, Any] = {"cache_entries": len(cache) if cache is not None else 0}
    size = getattr(cache, "bytes", None)
    if size is not None:
        figures["cache_bytes"] = size
    for route in web_app.router.routes():
        boxes = getattr(getattr(route.handler, "__self__", None), "boxes", None)
        if boxes is not None:
            figures["long_polls"] = boxes.waiting()
            break
    return figures


def _short(filename: str) -> str:
    for marker in ("site-packages/", "python3.11/", str(Path(__file__).parents[1]) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _traced(before: tracemalloc.Snapshot | None) -> tuple[tracemalloc.Snapshot, list[str]]:
    gc.collect()
    now = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    if before is None:
        return now, []
    by_file = now.compare_to(before, "filename")
    added = sum(stat.size_diff for stat in by_file)
    lines = [f"Python memory added: {added / 2**20:.1f} MiB; by file:"]
    for stat in by_file[: TRACE_LINES // 2]:
        where = _short(stat.traceback[0].filename)
        lines.append(f"{stat.size_diff / 1024:8.0f} KiB {stat.count_diff:8d} blocks  {where}")
    lines.append("by the line that allocated it:")
    for stat in now.compare_to(before, "lineno")[:TRACE_LINES]:
        frame = stat.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        lines.append(f"{stat.size_diff / 1024:8.0f} KiB {stat.count_diff:8d} blocks  {where}")
    return now, lines


async def serve(data_dir: Path, pipe: Connection, trace: bool) -> None:
    if trace:
        tracemalloc.start(TRACE_FRAMES)
    raw: dict[str, Any] = {"data": {"dir": str(data_dir)}}
    app = await build_app(parse_config(raw))
    app.start_workers()
    web_app = build_web(app).web
    runner = AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    loop = asyncio.get_running_loop()
    requests: asyncio.Queue[str] = asyncio.Queue()
    loop.add_signal_handler(signal.SIGTERM, requests.put_nowait, "stop")
    loop.add_reader(pipe.fileno(), lambda: requests.put_nowait(pipe.recv()))
    pipe.send(runner.addresses[0][1])
    snapshot: tracemalloc.Snapshot | None = None
    try:
        while True:
            request = await requests.get()
            if request == "stop":
                break
            if request == "trim":
                pipe.send({"trimmed": _give_back_free_memory()})
                continue
            figures = _cache_figures(app, web_app)
            if runner.server is not None:
                figures["connections"] = len(runner.server.connections)
            if trace and request != "pages":  # before, after, pages-traced
                snapshot, figures["trace"] = _traced(None if request == "before" else snapshot)
            pipe.send(figures)
    finally:
        loop.remove_reader(pipe.fileno())
        await runner.cleanup()
        await app.close()


def serve_process(data_dir: Path, pipe: Connection, trace: bool) -> None:
    asyncio.run(serve(data_dir, pipe, trace))


# -- the people ----------------------------------------------------------------------------


@dataclass
class Person:
    user: User
    http: aiohttp.ClientSession
    sent: int = 0
    last: int = 0  # the last item id the page has seen

    async def send(self, base: str, **message: str) -> dict[str, Any]:
        self.sent += 1
        body = {"id": f"m{self.sent}", **message}
        async with self.http.post(f"{base}/chat/api/message", json=body) as r:
            answer: dict[str, Any] = await r.json()
            if r.status != 200:
                raise RuntimeError(f"{r.status}: {answer}")
        self.last = max([self.last, *(int(i["id"]) for i in answer.get("items", ()))])
        return answer

    async def keep_page_open(self, base: str, connector: aiohttp.BaseConnector) -> None:
        """What chat.js does while the page is open: one long poll after another."""
        async with aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=self.http.cookie_jar
        ) as http:
            while True:
                try:
                    url = f"{base}/chat/api/events?after={self.last}"
                    async with http.get(url) as r:
                        body = await r.json()
                        self.last = int(body.get("last", self.last))
                except (aiohttp.ClientError, ValueError):
                    await asyncio.sleep(3)


def opening(user: User) -> list[dict[str, str]]:
    """From /start to the JMBG: the conversation is open, its slots half filled."""
    return [
        {"command": "start"},
        {"choice": f"lang:{user.language}"},
        {"choice": "menu.register"},
        {"choice": "ok"},
        {"choice": "yes"},
        {"text": user.first_name},
        {"text": user.last_name},
        {"text": user.jmbg},
    ]


async def play(base: str, people: Sequence[Person], in_flight: int, round_: str) -> int:
    """Every person's messages of this round; returns the errors."""
    queue = iter(people)
    errors = 0

    async def lane() -> None:
        nonlocal errors
        for person in queue:
            messages = opening(person.user) if round_ == "open" else [{"text": "001234567"}]
            try:
                for message in messages:
                    await person.send(base, **message)
            except (aiohttp.ClientError, RuntimeError):
                errors += 1

    await asyncio.gather(*(lane() for _ in range(in_flight)))
    return errors


@dataclass
class Measured:
    before_kib: int = 0
    after_kib: int = 0
    trimmed_kib: int = 0  # after the C allocator gave back what it held free
    peak_kib: int = 0
    swapped_kib: int = 0  # the system moved some of it to swap: the RSS figures say less
    # RssAnon: the process's own memory, without the shared libraries' pages (those count
    # in VmRSS only while the system keeps them in memory: under memory pressure it drops
    # them, and VmRSS falls)
    anon_kib: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    open_s: float = 0.0
    touch_s: float = 0.0
    requests: int = 0
    cpu_s: float = 0.0  # the server's, for the requests of both rounds
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    pages_kib: int = 0  # with every page open (a long poll waiting each)
    pages: dict[str, Any] | None = None


def ask(pipe: Connection, request: str) -> dict[str, Any]:
    pipe.send(request)
    if not pipe.poll(600):
        raise RuntimeError("the server did not answer")
    answer: dict[str, Any] = pipe.recv()
    return answer


async def open_pages(
    base: str,
    pid: int,
    pipe: Connection,
    people: Sequence[Person],
    measured: Measured,
    trace: bool,
) -> None:
    """Every person's page open at once, as in a browser: a long poll waiting each. The
    pages open a few hundred at a time (the server's listen backlog), then RSS is read once
    nearly all of them wait (or after two minutes)."""
    connector = aiohttp.TCPConnector(limit=0)
    pages: list[asyncio.Task[None]] = []
    try:
        for at in range(0, len(people), PAGES_AT_ONCE):
            pages += [
                asyncio.create_task(p.keep_page_open(base, connector))
                for p in people[at : at + PAGES_AT_ONCE]
            ]
            await asyncio.sleep(0.2)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            measured.pages = ask(pipe, "pages")
            if measured.pages.get("long_polls", 0) >= 0.98 * len(people):
                break
            await asyncio.sleep(2)
        measured.pages_kib = rss_kib(pid)
        measured.anon_kib["pages open"] = rss_kib(pid, "RssAnon")
        if trace:
            measured.pages = ask(pipe, "pages-traced")
    finally:
        for page in pages:
            page.cancel()
        await asyncio.gather(*pages, return_exceptions=True)
        await connector.close()


async def load(
    base: str,
    pid: int,
    pipe: Connection,
    users: Sequence[User],
    in_flight: int,
    pages: bool,
    trace: bool,
) -> Measured:
    measured = Measured()
    connector = aiohttp.TCPConnector(limit=in_flight)
    sessions: list[aiohttp.ClientSession] = []

    def person(user: User) -> Person:
        http = aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        sessions.append(http)
        return Person(user, http)

    try:
        warm = [person(u) for u in users[:WARM_UP]]
        measured.errors += await play(base, warm, in_flight, "open")
        measured.before = ask(pipe, "before")
        measured.before_kib = rss_kib(pid)
        measured.anon_kib["before"] = rss_kib(pid, "RssAnon")
        people = [person(u) for u in users[WARM_UP:]]
        start, cpu = time.perf_counter(), cpu_s(pid)
        measured.errors += await play(base, people, in_flight, "open")
        measured.open_s = time.perf_counter() - start
        start = time.perf_counter()
        measured.errors += await play(base, people, in_flight, "touch")
        measured.touch_s = time.perf_counter() - start
        measured.cpu_s = cpu_s(pid) - cpu
        measured.after_kib = rss_kib(pid)
        measured.anon_kib["in use"] = rss_kib(pid, "RssAnon")
        measured.swapped_kib = rss_kib(pid, "VmSwap")
        measured.peak_kib = rss_kib(pid, "VmHWM")
        measured.after = ask(pipe, "after")
        if ask(pipe, "trim").get("trimmed") is not None:
            measured.trimmed_kib = rss_kib(pid)
        measured.requests = sum(p.sent for p in people)
        if pages:
            await open_pages(base, pid, pipe, people, measured, trace)
    finally:
        for http in sessions:
            await http.close()
        await connector.close()
    return measured


def run(conversations: int, in_flight: int, trace: bool, pages: bool) -> Measured:
    users = make_users(conversations + WARM_UP)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        server = context.Process(target=serve_process, args=(Path(tmp), theirs, trace), daemon=True)
        server.start()
        try:
            if not ours.poll(120):
                raise RuntimeError("the server did not start")
            port = int(ours.recv())
            assert server.pid is not None
            base = f"http://127.0.0.1:{port}"
            return asyncio.run(load(base, server.pid, ours, users, in_flight, pages, trace))
        finally:
            ours.send("stop")
            server.join(60)
            if server.is_alive():
                server.terminate()


def report(m: Measured, conversations: int, trace: bool) -> None:
    out = sys.stdout.write
    per_kb = (m.after_kib - m.before_kib) * 1.024 / conversations
    out(
        f"{conversations} web chat conversations opened in {m.open_s:.1f} s, all used again "
        f"in {m.touch_s:.1f} s ({m.requests} requests, {m.errors} errors; server CPU "
        f"{1000 * m.cpu_s / max(m.requests, 1):.2f} ms per request)\n"
        f"server RSS: {m.before_kib / 1024:.1f} MiB before, {m.after_kib / 1024:.1f} MiB in use, "
        f"peak {m.peak_kib / 1024:.1f} MiB; {per_kb:.1f} KB per conversation; "
        f"{m.trimmed_kib / 1024:.1f} MiB once the C allocator gave back its free memory\n"
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    for name, figures in (("before", m.before), ("after", m.after)):
        shown = {k: v for k, v in (figures or {}).items() if k != "trace"}
        out(f"server figures {name}: {shown}\n")
    anon = ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in m.anon_kib.items())
    out(f"of it the process's own memory (RssAnon): {anon}\n")
    if m.swapped_kib:
        out(f"note: {m.swapped_kib / 1024:.1f} MiB of the server were in swap: RSS understates\n")
    held = (m.after or {}).get("cache_entries", 0)
    if held < conversations:
        out(
            f"note: the cache held {held} conversations at the end, not all {conversations}: "
            "the last round took longer than the cache keeps a copy (45 s), or its bytes "
            "were used up\n"
        )
    if trace and m.after is not None:
        out("\n".join(m.after.get("trace", [])) + "\n")
    rss_kib, in_use = m.after_kib, f"in_use_rss_mib={m.after_kib / 1024:.0f} "
    in_use += f"in_use_per_conversation_kb={per_kb:.1f}"
    if m.pages is not None:
        rss_kib = m.pages_kib
        per_kb = (rss_kib - m.before_kib) * 1.024 / conversations
        out(
            f"every page open, {m.pages.get('long_polls')} long polls waiting: server RSS "
            f"{m.pages_kib / 1024:.1f} MiB, {per_kb:.1f} KB per conversation\n"
        )
        if trace:
            out("with the pages open:\n" + "\n".join(m.pages.get("trace", [])) + "\n")
    out(
        f"rss_mib={rss_kib / 1024:.0f} per_conversation_kb={per_kb:.1f} "
        f"conversations={conversations} {in_use}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the server")
    parser.add_argument("--no-pages", action="store_true", help="no long polls at the end")
    args = parser.parse_args(argv)
    measured = run(args.conversations, args.in_flight, args.trace, not args.no_pages)
    report(measured, args.conversations, args.trace)
    return 0 if measured.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
