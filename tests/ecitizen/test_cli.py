"""The `ecitizen` command as an operator uses it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecitizen.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[data]\ndir = "{tmp_path / "var"}"\n', encoding="utf-8")
    return path


def test_invite_list_and_revoke_officers(config: Path) -> None:
    out = run(config, "officer", "invite", "--hall", "kg", "--name", "Мира Мирић")
    assert out.returncode == 0
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", out.stdout)
    assert code and "/officer" in out.stdout and "expires" in out.stdout
    db = (config.parent / "var" / "ecitizen.db").read_bytes()
    assert code.group(0).encode() not in db and code.group(0).replace("-", "").encode() not in db
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ecitizen.cli",
            "--config",
            str(config),
            "chat",
            "--as-officer",
            code.group(0),
            "--user",
            "mira",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = run(config, "officer", "list").stdout
    assert "Мира Мирић" in listed and "kg" in listed and "active" in listed
    officer_id = listed.split("\t")[0]
    assert run(config, "officer", "revoke", officer_id).stdout.strip() == "revoked"
    assert "revoked" in run(config, "officer", "list").stdout
    unknown = run(config, "officer", "invite", "--hall", "zz", "--name", "X")
    assert unknown.returncode == 2 and "unknown hall" in unknown.stderr


def test_flows_diagram_draws_the_table_the_engine_runs(config: Path) -> None:
    out = run(config, "flows", "diagram", "registration")
    assert out.returncode == 0
    assert "stateDiagram-v2" in out.stdout and "jmbg --> underage: too_young" in out.stdout


def test_db_migrate_and_purge(config: Path) -> None:
    assert "schema version" in run(config, "db", "migrate").stdout
    out = run(config, "purge")
    assert out.returncode == 0 and "erased personal data of 0" in out.stdout


def test_a_wrong_setting_is_named_and_nothing_starts(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[server]\nprot = 80\n", encoding="utf-8")
    out = run(path, "db", "migrate")
    assert out.returncode == 2 and "unknown setting [server] prot" in out.stderr


def test_the_committed_flow_pictures_are_current() -> None:
    from ecitizen.diagram import markdown
    from flows.conversations.assembly import FLOWS

    docs = Path(__file__).resolve().parents[2] / "docs" / "flows"
    for flow in FLOWS:
        assert (docs / f"{flow.name}.md").read_text(encoding="utf-8") == markdown(flow), (
            f"run `make diagrams`: docs/flows/{flow.name}.md is out of date"
        )


async def test_revoking_releases_what_the_officer_held_and_the_audit_tells_the_story(
    config: Path,
) -> None:
    from ecitizen.app import build_app
    from ecitizen.config import load_config
    from tests.dialogue import Chat
    from tests.flows.test_officer_dialogue import enrolled
    from tests.flows.test_registration_dialogue import WORDS, register

    app = await build_app(load_config(config))
    try:
        ref = await register(Chat(app, "ana"), WORDS["sr-Cyrl"])
        mira = await enrolled(app, lambda user: Chat(app, user), "Мира")
        await mira.picks("Отвори по шифри")
        await mira.says(ref)
    finally:
        await app.close()
    listed = run(config, "officer", "list").stdout
    assert "Мира" in listed and "\tofficer" in listed
    boss = run(config, "officer", "invite", "--hall", "kg", "--name", "Сара", "--supervisor")
    assert boss.returncode == 0 and "(supervisor)" in boss.stdout

    revoked = run(config, "officer", "revoke", listed.split("\t")[0])
    assert revoked.stdout.splitlines() == ["revoked", f"back on the waiting list: {ref}"]

    history = run(config, "audit", "--ref", ref.lower()).stdout.splitlines()
    actions = [line.split("\t")[2] for line in history]
    assert actions[0] == "submit" and actions[-1] == "release"
    assert {"claim", "view"} <= set(actions)
    assert any("officer:" in line and "(Мира)" in line and "\tview\t" in line for line in history)
    assert "0512981717776" not in "\n".join(history)
    missing = run(config, "audit", "--ref", "XXXX-XXXX")
    assert missing.returncode == 1 and "nothing in the audit log" in missing.stderr
