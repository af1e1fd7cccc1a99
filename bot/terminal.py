"""The terminal chat: the engine in a shell, choices as numbered options.

It is how a developer tries a flow, and what `ecitizen chat` runs. The dialogue tests use
the same line parsing and rendering, without terminal I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.command_text import read_command
from bot.terminal_screen import Screen
from flows.engine.channel_ports import SendAttempt
from flows.engine.i18n import render
from flows.engine.messages import ConversationKey, Inbound, Outbound

CHANNEL = "terminal"


def parse_line(line: str, key: ConversationKey, message_id: str | None = None) -> Inbound:
    """A typed line: `/command payload`, or an answer (a number picks a choice)."""
    text = line.rstrip("\r\n")
    typed = read_command(text)
    if typed is not None:
        return Inbound(key, command=typed[0], payload=typed[1], message_id=message_id)
    return Inbound(key, text=text, message_id=message_id)


def render_outbound(out: Outbound) -> str:
    """The paragraphs, the ticket and the QR link they speak of, then the question right
    above its numbered choices (as the web chat lays it out)."""
    paragraphs = [render(m, out.language) for m in out.text]
    asks = 1 if out.choices and paragraphs else 0
    lines = paragraphs[: len(paragraphs) - asks]
    if out.ticket:
        lines.append(f"[ {out.ticket} ]")
    if out.qr:
        lines.append(f"QR: {out.qr}")
    lines += paragraphs[len(paragraphs) - asks :]
    for number, choice in enumerate(out.choices, start=1):
        lines.append(f"  {number}) {render(choice.label, out.language)}")
    return "\n".join(lines)


class TerminalDelivery:
    """Notifications for the person at this terminal, shown on its screen. The outbox
    gives it only theirs (App.add_delivery with users): the process of another person's
    terminal shows them theirs."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen

    async def deliver(self, outbound: Outbound, attempt: SendAttempt | None = None) -> None:
        """Shown again by a new terminal after one that died (its screen went with it)."""
        self.screen.notice(render_outbound(outbound))


async def run_terminal(
    handle: Callable[[Inbound], Awaitable[list[Outbound]]],
    key: ConversationKey,
    screen: Screen,
    first: str = "/start",
) -> None:
    """Lines until the end of input; each line is one inbound message."""
    line: str | None = first
    while line is not None:
        for out in await handle(parse_line(line, key)):
            screen.reply(render_outbound(out))
        line = await screen.read_line()
