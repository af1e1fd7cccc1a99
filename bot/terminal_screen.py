"""What the person at `ecitizen chat` sees: replies, the prompt, and notices that come at
any moment (a printer needs attention, a citizen checked in).

On a real terminal the line being typed is kept here, not in the terminal driver, so a
notice can be written above it and the line drawn again as it was: nothing typed is lost
or hidden, and the notice never lands in the middle of it. Keys are read on the event loop
(no thread blocked in a read), in the terminal's cbreak mode (set again after Ctrl-Z and
`fg`): Ctrl-C and Ctrl-Z work as usual; Backspace, Ctrl-U (the whole line), Ctrl-W (a word)
and Ctrl-D (the end, on an empty line) edit; arrow keys and other escape sequences are
ignored. Without a terminal (a pipe, a file) lines are read as they come and notices are
written between them.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import sys
import termios
import tty
from typing import Protocol, TextIO

PROMPT = "> "
_ESCAPE_END = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|O.|[^\[O])")  # a whole key sequence


class Screen(Protocol):
    def reply(self, text: str) -> None:
        """What the engine answered to the line just sent."""

    def notice(self, text: str) -> None:
        """A message nobody asked for, shown at once."""

    async def read_line(self) -> str | None:
        """Shows the prompt; the next line typed, or None at the end of input."""

    def close(self) -> None: ...


def notice_block(text: str) -> str:
    return "* " + text.replace("\n", "\n  ")


def open_screen(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> Screen:
    """Line editing of our own on a terminal; plain lines otherwise."""
    if stdin.isatty() and stdout.isatty():
        return TerminalScreen(stdin.fileno(), stdout)
    return LineScreen(stdin, stdout)


class LineScreen:
    """Lines from a pipe or a file: each reply ends with the prompt; a notice that comes
    while waiting for a line is written on lines of its own, and the prompt again."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.waiting = False

    def reply(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def notice(self, text: str) -> None:
        if self.waiting:
            self.stdout.write("\n" + notice_block(text) + "\n" + PROMPT)
        else:
            self.stdout.write(notice_block(text) + "\n")
        self.stdout.flush()

    async def read_line(self) -> str | None:
        self.stdout.write(PROMPT)
        self.stdout.flush()
        self.waiting = True
        try:
            line = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        finally:
            self.waiting = False
        return line.rstrip("\r\n") if line else None

    def close(self) -> None:
        self.stdout.flush()


class TerminalScreen:
    """A terminal: keys one by one, the line being typed kept and echoed here."""

    def __init__(self, fd: int, stdout: TextIO) -> None:
        self.fd = fd
        self.stdout = stdout
        self.typed = ""  # the line being typed (also before its prompt shows: typed ahead)
        self.prompting = False  # the prompt and the typed line are on the screen
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._keys = ""  # read but not yet taken (an escape sequence cut in two)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)  # no echo, no line buffering; signals as usual
        loop = asyncio.get_running_loop()
        loop.add_reader(fd, self._readable)
        # back from Ctrl-Z (fg): the shell had the terminal in its own modes meanwhile
        loop.add_signal_handler(signal.SIGCONT, self._continued)

    def reply(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def notice(self, text: str) -> None:
        if not self.prompting:
            self.stdout.write(notice_block(text) + "\n")
        else:
            self.stdout.write(self._erase() + notice_block(text) + "\n" + PROMPT + self.typed)
        self.stdout.flush()

    async def read_line(self) -> str | None:
        if not self._lines.empty():  # typed ahead, while the reply was being made
            line = self._lines.get_nowait()
            if line is not None:
                self.stdout.write(PROMPT + line + "\n")
                self.stdout.flush()
            return line
        self.stdout.write(PROMPT + self.typed)
        self.stdout.flush()
        self.prompting = True
        try:
            line = await self._lines.get()
        finally:
            self.prompting = False
        if line is None:
            self.stdout.write("\n")  # the end of input: the prompt's line ends too
            self.stdout.flush()
        return line

    def close(self) -> None:
        with contextlib.suppress(ValueError, OSError, RuntimeError):
            loop = asyncio.get_running_loop()
            loop.remove_reader(self.fd)
            loop.remove_signal_handler(signal.SIGCONT)
        with contextlib.suppress(termios.error):
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def _continued(self) -> None:
        with contextlib.suppress(termios.error):
            tty.setcbreak(self.fd)
        if self.prompting:
            self.stdout.write("\r\x1b[K" + PROMPT + self.typed)
            self.stdout.flush()

    def _erase(self) -> str:
        """Back to the start of the prompt (the typed line may have wrapped), erased."""
        try:
            columns = os.get_terminal_size(self.stdout.fileno()).columns
        except (OSError, ValueError):
            columns = 80
        up = max(0, len(PROMPT) + len(self.typed) - 1) // max(1, columns)
        return (f"\x1b[{up}A" if up else "") + "\r\x1b[J"

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.fd)
            self._lines.put_nowait(None)
            return
        self._keys += self._decoder.decode(data)
        while self._keys:
            if self._keys[0] == "\x1b":
                sequence = _ESCAPE_END.match(self._keys)
                if sequence is None:
                    return  # the rest of it comes with the next read
                self._keys = self._keys[sequence.end() :]
                continue
            key, self._keys = self._keys[0], self._keys[1:]
            self._key(key)
        self.stdout.flush()

    def _key(self, key: str) -> None:
        if key in "\r\n":
            line, self.typed = self.typed, ""
            if self.prompting:
                self.stdout.write("\n")
                self.prompting = False  # until read_line shows the prompt again
            self._lines.put_nowait(line)
        elif key == "\x04":  # Ctrl-D
            if not self.typed:
                self._lines.put_nowait(None)
        elif key in "\x7f\b\x15\x17":  # Backspace, Ctrl-U, Ctrl-W
            self._edit(key)
        elif key.isprintable():
            self.typed += key
            if self.prompting:
                self.stdout.write(key)

    def _edit(self, key: str) -> None:
        erase = self._erase() if self.prompting else ""
        if key == "\x15":
            self.typed = ""
        elif key == "\x17":
            self.typed = re.sub(r"\S*\s*$", "", self.typed, count=1)
        else:
            self.typed = self.typed[:-1]
        if self.prompting:
            self.stdout.write(erase + PROMPT + self.typed)
