"""`/command payload` typed in a chat, read the same way in every text channel.

A chat (Telegram, Viber, the terminal) lets the person type a global command: `/start`,
`/help`, `/officer <code>`... Telegram appends the bot's name (`/start@some_bot`), which
is ignored. `/wipe` belongs to the kiosk and is not a chat command.
"""

from __future__ import annotations

from flows.engine.messages import Command

COMMANDS: dict[str, Command] = {c.value: c for c in Command if c is not Command.WIPE}


def read_command(text: str) -> tuple[Command, str | None] | None:
    """The command and its payload, or None when the text is not a known command."""
    if not text.startswith("/"):
        return None
    word, _, rest = text[1:].partition(" ")
    command = COMMANDS.get(word.split("@", 1)[0].strip().lower())
    if command is None:
        return None
    return command, rest.strip() or None
