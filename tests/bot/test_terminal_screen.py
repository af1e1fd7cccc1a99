"""`ecitizen chat` without a terminal (its input a pipe, its output a file): notices come
on lines of their own, never inside a reply, and the prompt follows them again."""

from __future__ import annotations

import asyncio
import io
import os

from bot.terminal_screen import LineScreen
from tests.waiting import eventually


async def test_a_notice_while_waiting_comes_on_its_own_lines_and_the_prompt_again() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stdin, os.fdopen(write_end, "w") as typist:
        out = io.StringIO()
        screen = LineScreen(stdin, out)
        screen.reply("What is your first name?")
        line = asyncio.ensure_future(screen.read_line())

        async def waiting() -> bool:
            return screen.waiting

        await eventually(waiting, "waiting for a line")
        screen.notice("The printer needs paper.\nPrinter: kiosk")
        typist.write("Ana\n")
        typist.flush()
        assert await line == "Ana"
        screen.notice("A citizen checked in.")  # while the reply is being made
        screen.reply("What is your last name?")
        typist.close()
        assert await screen.read_line() is None
    assert out.getvalue() == (
        "What is your first name?\n> \n"
        "* The printer needs paper.\n  Printer: kiosk\n> "
        "* A citizen checked in.\nWhat is your last name?\n> "
    )
