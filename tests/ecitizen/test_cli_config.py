"""`--config` as an operator types it: before or after the subcommand, a path that is not
there, and printers that the halls do not find. Every command is a real `ecitizen` process."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from ecitizen.cli import _parser
from tests.ecitizen.test_serve import free_port
from tests.waiting import eventually


def ecitizen(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run from a folder of its own, so no ./config.toml or ./var of the checkout is used."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "ecitizen.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A hall and a printer that exist only in this file: a command that did not read it
    would not know them."""
    path = tmp_path / "site.toml"
    path.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n'
        "[[halls]]\ncode = 'zz'\nname = 'Зајечар'\nname_en = 'Zaječar'\naddress = 'Трг 1'\n"
        "printer = 'desk'\n"
        f"[printers.desk]\nkind = 'file'\ndir = '{tmp_path / 'desk'}'\n",
        encoding="utf-8",
    )
    return path


def test_config_after_the_subcommand_is_read_by_every_command(tmp_path: Path, config: Path) -> None:
    cwd = tmp_path / "elsewhere"
    after = ("--config", str(config))

    migrated = ecitizen(cwd, "db", "migrate", *after)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "var" / "ecitizen.db").exists() and not (cwd / "var").exists()

    invited = ecitizen(cwd, "officer", "invite", "--hall", "zz", "--name", "Мира", *after)
    assert invited.returncode == 0, invited.stderr
    code = re.search(r"/officer (\S+)", invited.stdout)
    assert code is not None
    enrolled = ecitizen(cwd, "chat", "--as-officer", code.group(1), "--user", "mira", *after)
    assert enrolled.returncode == 0, enrolled.stderr
    listed = ecitizen(cwd, "officer", "list", *after)
    assert "Мира\tzz" in listed.stdout
    assert ecitizen(cwd, "officer", *after, "list").stdout == listed.stdout

    assert "erased personal data of 0" in ecitizen(cwd, "purge", *after).stdout
    assert "stateDiagram-v2" in ecitizen(cwd, "flows", "diagram", "ticket", *after).stdout

    printed = ecitizen(cwd, "print", "test", "desk", *after)
    assert printed.returncode == 0, printed.stderr
    assert list((tmp_path / "desk").glob("*.png"))
    out = tmp_path / "preview.png"
    previewed = ecitizen(cwd, "print", "preview", "ticket", "--out", str(out), *after)
    assert previewed.returncode == 0 and out.exists()

    assert not (cwd / "var").exists()


async def test_serve_with_config_after_the_subcommand_serves_on_the_configured_port(
    tmp_path: Path, config: Path
) -> None:
    port = free_port()
    with config.open("a", encoding="utf-8") as f:
        f.write(f"[server]\nport = {port}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecitizen.cli",
        "serve",
        "--config",
        str(config),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def kiosk_of_the_configured_hall() -> bool:
                assert proc.returncode is None, "the server stopped"
                try:
                    async with http.get(f"http://127.0.0.1:{port}/kiosk/zz") as kiosk:
                        return kiosk.status == 200
                except aiohttp.ClientConnectorError:
                    return False

            await eventually(kiosk_of_the_configured_hall, "the server on the configured port")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, (*path, name))
    return found or [(path, parser)]


def test_every_command_says_it_takes_config() -> None:
    """Commands added later get it too: each one's --help lists --config."""
    leaves = leaf_commands(_parser())
    assert len(leaves) >= 9
    for path, parser in leaves:
        assert "--config FILE" in parser.format_help(), " ".join(path)


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_config_path_that_is_not_there_is_one_line_naming_it(tmp_path: Path, where: str) -> None:
    missing = tmp_path / "no-such.toml"
    args = ["--config", str(missing), "db", "migrate"]
    if where == "after":
        args = ["db", "migrate", "--config", str(missing)]
    out = ecitizen(tmp_path / "cwd", *args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "no such file" in lines[0]
    assert not (tmp_path / "cwd" / "var").exists()


def test_a_printer_without_the_default_file_printer_names_the_built_in_halls(
    tmp_path: Path,
) -> None:
    """Defining one printer replaces the default one; the built-in halls still print on
    "file". The message says which halls and what to do."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[data]\ndir = "{tmp_path / "var"}"\n'
        '[printers.desk]\nkind = "network"\nhost = "10.0.0.5"\n',
        encoding="utf-8",
    )
    out = ecitizen(tmp_path / "cwd", "--config", str(path), "db", "migrate")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    [message] = out.stderr.strip().splitlines()
    assert "printer 'file' is not configured" in message
    assert "built-in halls kg, bg, ns" in message
    assert "[printers.file]" in message and "[[halls]]" in message and "desk" in message


def test_a_hall_s_missing_printer_names_the_hall_and_the_printers_there_are(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "[[halls]]\ncode = 'zz'\nname = 'З'\nname_en = 'Z'\naddress = 'a'\n"
        "counter_printers = { '2' = 'counter2' }\n"
        "[printers.file]\nkind = 'file'\n[printers.counter1]\nkind = 'file'\n",
        encoding="utf-8",
    )
    out = ecitizen(tmp_path / "cwd", "db", "migrate", "--config", str(path))
    assert out.returncode == 2
    [message] = out.stderr.strip().splitlines()
    assert "hall zz" in message and "counter 2" in message
    assert "printer 'counter2' is not configured" in message
    assert "[printers.counter2]" in message and "file, counter1" in message
