"""Officers in `ecitizen chat --as-officer` are told what happens in their hall, like on any
other channel: a citizen checked in at the kiosk of `ecitizen serve` (another process) is
shown on each officer's own terminal when it happens, once, above the line the officer is
typing, which stays as it was."""

from __future__ import annotations

import asyncio
import re
import signal
import termios
from pathlib import Path

import aiohttp

from flows.engine.i18n import text
from tests.commands import OPEN_ALWAYS_HALL, start_ecitizen
from tests.ecitizen.test_serve import free_port
from tests.kiosk.kiosk_client import KioskClient
from tests.pty_terminal import PtyTerminal
from tests.waiting import eventually


async def ecitizen(config: Path, *args: str) -> str:
    proc = await start_ecitizen(
        config,
        *args,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return out.decode()


async def enrolled_officer(config: Path, name: str, user: str) -> PtyTerminal:
    invite = await ecitizen(config, "officer", "invite", "--hall", "kg", "--name", name)
    code = re.search(r"/officer (\S+)", invite)
    assert code is not None
    officer = await PtyTerminal.start(config, "--as-officer", code.group(1), "--user", user)
    await officer.shows(f"{user} enrolled", name)
    await officer.at_prompt()
    return officer


async def check_in_at_the_kiosk(port: int) -> dict[str, str]:
    """A walk-in registers at the kiosk of hall kg: checked in at once, with a ticket."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        kiosk = KioskClient(http, f"http://127.0.0.1:{port}/kiosk/kg")

        async def up() -> bool:
            try:
                await kiosk.state()
                return True
            except aiohttp.ClientConnectorError:
                return False

        await eventually(up, "the kiosk")
        screen = (await kiosk.register(day="walk_in"))["screen"]
    assert screen["reference"] and screen["ticket"], screen
    return {"ref": screen["reference"], "ticket": screen["ticket"]}


def notices(officer: PtyTerminal, ref: str) -> list[str]:
    return [line for line in officer.screen.lines if line.startswith("* ") and ref in line]


async def test_each_officer_terminal_shows_its_own_notice_above_what_is_being_typed(
    tmp_path: Path,
) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n[server]\nport = {port}\n{OPEN_ALWAYS_HALL}',
        encoding="utf-8",
    )
    mira = await enrolled_officer(config, "Мира Мирић", "mira")
    zoran = await enrolled_officer(config, "Зоран Зорић", "zoran")
    mira.type("/he")  # half a command, not sent yet
    await mira.at_prompt("/he")

    serve = await start_ecitizen(
        config,
        "serve",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        walk_in = await check_in_at_the_kiosk(port)
        arrived = "* " + text("notify.checked_in", "sr-Cyrl", **walk_in)
        for officer in (mira, zoran):
            await officer.shows("the check-in notice", arrived)
    finally:
        serve.send_signal(signal.SIGTERM)
        await asyncio.wait_for(serve.wait(), timeout=30)

    # Mira's half-typed command is on her line again, below the notice, and still hers.
    assert mira.screen.lines[-2:] == [arrived, "> /he"], mira.screen.text
    await mira.at_prompt("/he")
    mira.type("lp\r")
    await mira.shows("the help, for the command typed around the notice", "> /help\n")
    await zoran.at_prompt()
    for officer in (mira, zoran):
        assert len(notices(officer, walk_in["ref"])) == 1, officer.screen.text
        assert await officer.close() == 0


async def test_the_line_is_edited_as_on_any_terminal(tmp_path: Path) -> None:
    """Backspace, Ctrl-U and Ctrl-W edit the line; arrow keys leave no trace in it;
    Cyrillic letters are whole letters."""
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    ana = await PtyTerminal.start(config, "--user", "ana")
    await ana.at_prompt()
    ana.type("3\r")  # English
    await ana.shows("the menu", "Become an eCitizen")
    await ana.at_prompt()
    ana.type("/hx\x7felp\x1b[A\x1b[D")
    await ana.at_prompt("/help")
    ana.type("\x15чаша\x7f\x7fј")
    await ana.at_prompt("чај")
    ana.type("\x17/status please\x17\x17/help\r")
    await ana.shows("the help", "> /help\n")
    await ana.at_prompt()
    assert [line for line in ana.screen.lines if line.startswith("> ")] == ["> 3", "> /help", "> "]
    assert await ana.close() == 0


async def test_ctrl_c_ends_the_chat_quietly_and_gives_the_terminal_back(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    ana = await PtyTerminal.start(config, "--user", "ana")
    await ana.at_prompt()
    assert ana.settings() != ana.given  # keys one by one, echoed by the chat itself
    ana.type("Ан")
    await ana.at_prompt("Ан")
    assert await ana.close("\x03") == 130
    assert ana.left == ana.given
    assert "Traceback" not in ana.log.read_text()


async def test_after_ctrl_z_and_fg_the_chat_edits_the_line_again(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    ana = await PtyTerminal.start(config, "--user", "ana")
    await ana.at_prompt()
    ana.type("Ан")
    await ana.at_prompt("Ан")
    chatting = ana.settings()
    # Ctrl-Z, as a shell's job control has it: stopped (SIGSTOP here, since a process
    # group without a shell in its session ignores the terminal's SIGTSTP), and the shell
    # takes the terminal in its own modes meanwhile
    ana.proc.send_signal(signal.SIGSTOP)
    await ana.stopped()
    termios.tcsetattr(ana.master, termios.TCSADRAIN, ana.given)
    ana.proc.send_signal(signal.SIGCONT)  # fg

    async def in_the_chat_s_mode() -> bool:
        return ana.settings() == chatting

    await eventually(in_the_chat_s_mode, "the terminal in the chat's mode again")
    await ana.at_prompt("Ан")
    ana.type("а\x7fа")
    await ana.at_prompt("Ана")
    assert await ana.close("\x15\x04") == 0
