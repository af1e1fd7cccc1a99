"""Killed in the middle of a registration (SIGKILL), started again: nothing is lost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.commands import start_ecitizen

PROMPT = b"> "


class Terminal:
    """`ecitizen chat` in a real subprocess, typed into and read like a person would."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, config: Path) -> Terminal:
        proc = await start_ecitizen(
            config,
            "chat",
            "--user",
            "ana",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        term = cls(proc)
        await term.read_reply()
        return term

    async def read_reply(self) -> str:
        assert self.proc.stdout is not None
        data = await asyncio.wait_for(self.proc.stdout.readuntil(PROMPT), timeout=30)
        return data.decode()

    async def says(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.read_reply()

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await asyncio.wait_for(self.proc.wait(), timeout=30)


async def test_a_registration_survives_sigkill_and_resumes_where_it_was(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")

    ana = await Terminal.start(config)
    await ana.says("1")  # Српски (ћирилица)
    await ana.says("1")  # Постани еГрађанин
    await ana.says("1")  # Настави
    await ana.says("да")
    await ana.says("Ана")
    await ana.says("Петровић")
    reply = await ana.says("0512981717776")
    assert "број личне карте" in reply.lower()
    await ana.kill()

    ana = await Terminal.start(config)  # its first line is /start: resume
    reply = await ana.says("012345678")
    assert "мобилног телефона" in reply
    await ana.says("064 123 4567")
    await ana.says("1")  # Прескочи
    await ana.says("1")  # Крагујевац
    reply = await ana.says("1")  # the first free day
    reply = await ana.says("1")  # the first free time
    assert "Ана" in reply and "Петровић" in reply and "0512981717776" in reply
    reply = await ana.says("1")  # Пошаљи пријаву
    assert "Пријава је примљена" in reply
    await ana.close()
