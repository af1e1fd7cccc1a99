"""`ecitizen serve --workers N`: N server processes sharing one port.

Each worker is a whole `ecitizen serve` process listening with SO_REUSEPORT, so the
kernel spreads connections over them. They are peers: the database is the only thing they
share (leases decide who polls Telegram, who drives each printer, who purges), which is why
more than one worker needs PostgreSQL. This supervisor opens no database: it starts the
workers, starts again one that dies, and on SIGTERM or SIGINT stops them all gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from ecitizen import logs
from ecitizen.app import link_secret
from ecitizen.config import Config

log = logging.getLogger(__name__)

START_FAILED = 2  # a worker's exit code when it could not start (configuration, port)
RESTART_DELAY_S = 1.0
STOP_GRACE_S = 60.0


def refusal(config: Config, count: int) -> str | None:
    """Why `count` workers cannot run on this configuration (one line), or None."""
    if count > 1 and not config.database_url.startswith(("postgresql:", "postgres:")):
        return (
            f"cannot start {count} workers: several server processes need PostgreSQL "
            '([data] database = "postgresql://..." or ECITIZEN_DATABASE); SQLite is the '
            "database of one process"
        )
    return None


def _worker(config: Config, supervisor: int) -> None:
    """A worker process's life: one server on the shared port."""
    from ecitizen.server import serve

    logs.configure(config.logging, with_process=True)
    threading.Thread(target=_stop_when_orphaned, args=(supervisor,), daemon=True).start()
    sys.exit(asyncio.run(serve(config, reuse_port=True)))


def _stop_when_orphaned(supervisor: int) -> None:
    """A supervisor killed outright cannot stop its workers: they stop themselves."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    log.warning("the supervisor (process %d) is gone; stopping", supervisor)
    os.kill(os.getpid(), signal.SIGTERM)


class _Supervisor:
    def __init__(self, config: Config, count: int) -> None:
        self.config = config
        self.count = count
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, BaseProcess] = {}
        self.stopping = False

    def start(self, index: int) -> None:
        process = self.context.Process(
            target=_worker,
            args=(self.config, os.getpid()),
            name=f"ecitizen-worker-{index}",
            daemon=False,
        )
        process.start()
        self.workers[index] = process
        log.info("worker %d of %d started (process %s)", index, self.count, process.pid)

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> int:
        for index in range(1, self.count + 1):
            self.start(index)
        while not self.stopping:
            wait([p.sentinel for p in self.workers.values()], timeout=0.5)
            for index, process in list(self.workers.items()):
                if self.stopping or process.is_alive():
                    continue
                if process.exitcode == START_FAILED:
                    log.error("worker %d could not start; stopping every worker", index)
                    self.stopping = True
                    self.finish()
                    return START_FAILED
                log.warning(
                    "worker %d (process %s) ended (exit %s); starting it again",
                    index,
                    process.pid,
                    process.exitcode,
                )
                time.sleep(RESTART_DELAY_S)
                self.start(index)
        return self.finish()

    def finish(self) -> int:
        """Stop every worker gracefully (SIGTERM); kill one that does not stop in time."""
        for process in self.workers.values():
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker process %s did not stop in time: killed", process.pid)
                process.kill()
                process.join()
        codes = [p.exitcode for p in self.workers.values()]
        return 0 if all(code == 0 for code in codes) else 1


def serve_workers(config: Config, count: int) -> int:
    """Run `count` worker processes until SIGTERM or SIGINT; returns the exit code."""
    why = refusal(config, count)
    if why is not None:
        sys.stderr.write(why + "\n")
        return START_FAILED
    link_secret(config)  # made here once: the workers would race to create it
    supervisor = _Supervisor(config, count)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return supervisor.run()
