"""The terminal chat: the engine in a shell, choices as numbered options.

It is how a developer tries a flow, and what `ecitizen chat` runs. The dialogue tests use
the same line parsing and rendering, without terminal I/O.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.command_text import read_command
from flows.i18n import render
from flows.messages import ConversationKey, Inbound, Outbound

CHANNEL = "terminal"


def parse_line(line: str, key: ConversationKey, message_id: str | None = None) -> Inbound:
    """A typed line: `/command payload`, or an answer (a number picks a choice)."""
    text = line.rstrip("\r\n")
    typed = read_command(text)
    if typed is not None:
        return Inbound(key, command=typed[0], payload=typed[1], message_id=message_id)
    return Inbound(key, text=text, message_id=message_id)


def render_outbound(out: Outbound) -> str:
    lines = [render(m, out.language) for m in out.text]
    if out.ticket:
        lines.append(f"[ {out.ticket} ]")
    if out.qr:
        lines.append(f"QR: {out.qr}")
    for number, choice in enumerate(out.choices, start=1):
        lines.append(f"  {number}) {render(choice.label, out.language)}")
    return "\n".join(lines)


class TerminalDelivery:
    """Notifications for the person at this terminal are printed; others have no terminal."""

    def __init__(self, key: ConversationKey, write: Callable[[str], object]) -> None:
        self.key = key
        self.write = write

    async def deliver(self, outbound: Outbound) -> None:
        if outbound.key == self.key:
            self.write("\n* " + render_outbound(outbound) + "\n")


async def run_terminal(
    handle: Callable[[Inbound], Awaitable[list[Outbound]]],
    key: ConversationKey,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    first: str = "/start",
) -> None:
    """Read lines until end of input; each line is one inbound message."""

    async def send(line: str) -> None:
        replies = await handle(parse_line(line, key))
        for out in replies:
            stdout.write(render_outbound(out) + "\n")
        stdout.write("> ")
        stdout.flush()

    await send(first)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            return
        await send(line)
