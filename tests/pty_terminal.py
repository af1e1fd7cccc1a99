"""`ecitizen chat` on a pseudo-terminal, as a person at a real terminal has it: keys go in
one at a time, and what the screen shows is what a terminal would make of the output
(carriage returns, erasing a line, moving the cursor up), not the raw bytes."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import struct
import termios
from pathlib import Path

from tests.commands import start_ecitizen
from tests.waiting import eventually

ROWS, COLUMNS = 200, 120
_CONTROL = re.compile(r"\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Screen:
    """Enough of a VT100 for what a line-based program prints: text, \\r, \\n, \\b, erase
    in line (K) and below (J), cursor up/down/left/right. Lines do not wrap (wide screen)."""

    def __init__(self) -> None:
        self.lines: list[str] = [""]
        self.row = 0
        self.col = 0

    def feed(self, text: str) -> None:
        pos = 0
        while pos < len(text):
            control = _CONTROL.match(text, pos)
            if control:
                self._control(control.group(1) or "", control.group(2) or "")
                pos = control.end()
                continue
            self._char(text[pos])
            pos += 1

    def _char(self, ch: str) -> None:
        if ch == "\r":
            self.col = 0
        elif ch == "\n":
            self.row += 1
            while len(self.lines) <= self.row:
                self.lines.append("")
        elif ch == "\b":
            self.col = max(0, self.col - 1)
        elif ch.isprintable():
            line = self.lines[self.row].ljust(self.col)
            self.lines[self.row] = line[: self.col] + ch + line[self.col + 1 :]
            self.col += 1

    def _control(self, params: str, final: str) -> None:
        n = int(params) if params.isdigit() else 1
        if final == "K":
            self.lines[self.row] = self.lines[self.row][: self.col]
        elif final == "J":
            self.lines[self.row] = self.lines[self.row][: self.col]
            del self.lines[self.row + 1 :]
        elif final == "A":
            self.row = max(0, self.row - n)
        elif final == "B":
            self.row += n
            while len(self.lines) <= self.row:
                self.lines.append("")
        elif final == "C":
            self.col += n
        elif final == "D":
            self.col = max(0, self.col - n)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _process_state(pid: int) -> str:
    """R running, S sleeping, T stopped, ... (proc(5))."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty (stdin),
    as a shell gives it, so Ctrl-C on the pty is SIGINT for it."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyTerminal:
    """A real `ecitizen chat` process whose stdin and stdout are a terminal; its log goes
    to a file (as it would to a journal), never onto the screen."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int, log: Path) -> None:
        self.proc = proc
        self.master = master
        self.log = log
        self.screen = Screen()
        self.given: list[object] = []  # the terminal's modes before the program started
        self.left: list[object] = []  # and after it ended
        self._decoder_buffer = b""
        asyncio.get_running_loop().add_reader(master, self._readable)

    @classmethod
    async def start(cls, config: Path, *args: str) -> PtyTerminal:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        given = termios.tcgetattr(slave)
        log = config.parent / f"chat-{os.getpid()}-{slave}.log"
        with log.open("wb") as errors:
            proc = await start_ecitizen(
                config,
                "chat",
                *args,
                stdin=slave,
                stdout=slave,
                stderr=errors,
                env={**os.environ, "TERM": "xterm"},
                preexec_fn=_own_terminal,
            )
        os.close(slave)
        terminal = cls(proc, master, log)
        terminal.given = given
        return terminal

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the process is gone and closed its side
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            return
        data = self._decoder_buffer + data
        try:
            text = data.decode()
            self._decoder_buffer = b""
        except UnicodeDecodeError as e:  # a character cut in two: keep its start for later
            text, self._decoder_buffer = data[: e.start].decode(), data[e.start :]
        self.screen.feed(text)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    @property
    def last_line(self) -> str:
        return self.screen.lines[self.screen.row]

    async def shows(self, what: str, wanted: str | re.Pattern[str]) -> None:
        async def found() -> bool:
            if self.proc.returncode is not None:
                raise AssertionError(f"chat stopped: {self.log.read_text()}")
            if isinstance(wanted, str):
                return wanted in self.screen.text
            return wanted.search(self.screen.text) is not None

        try:
            await eventually(found, what)
        except AssertionError:
            raise AssertionError(f"{what}; the screen:\n{self.screen.text}") from None

    async def at_prompt(self, typed: str = "") -> None:
        async def prompt() -> bool:
            return self.last_line == "> " + typed and self.screen.col == 2 + len(typed)

        await eventually(prompt, f"the prompt with {typed!r}")

    def settings(self) -> list[object]:
        """The terminal's modes (echo, line editing, ...), as the program left them."""
        return termios.tcgetattr(self.master)

    async def stopped(self) -> None:
        """Until the process is stopped (Ctrl-Z), as the kernel reports it."""

        async def is_stopped() -> bool:
            return _process_state(self.proc.pid) == "T"

        await eventually(is_stopped, "the chat stopped by Ctrl-Z")

    async def close(self, keys: str = "\x04") -> int:
        """Ctrl-D on an empty line (the end of input), or the keys given."""
        self.type(keys)
        code = await asyncio.wait_for(self.proc.wait(), timeout=30)
        self.left = self.settings()  # how the program left the terminal
        asyncio.get_running_loop().remove_reader(self.master)
        os.close(self.master)
        return code
