"""The import contracts (pyproject.toml, [tool.importlinter]) hold the layering of
docs/architecture.md, and each of them catches the import it forbids.

Each test copies the packages into a scratch folder, adds one forbidden import and runs
`lint-imports` there: that contract, and only that one, must be reported broken. The
clean copy passes every contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
PACKAGES: list[str] = CONFIG["root_packages"]
CONTRACTS: dict[str, dict[str, object]] = {c["id"]: c for c in CONFIG["contracts"]}
NO_IO_LIBRARIES: list[str] = CONTRACTS["no-io"]["forbidden_modules"]  # type: ignore[assignment]

# contract id -> (file, the forbidden import added to it)
VIOLATIONS: dict[str, tuple[str, str]] = {
    "domain": ("flows/domain/jmbg.py", "import flows.engine.messages"),
    "engine": ("flows/engine/turn.py", "import flows.conversations.menu"),
    "core": ("flows/conversations/checks.py", "import state.values"),
    "no-io": ("flows/conversations/checks.py", "\n".join(f"import {m}" for m in NO_IO_LIBRARIES)),
    "store": ("state/store.py", "import flows.engine.turn"),
    "sides": ("kiosk/web.py", "import printing.status"),
    "channels": ("bot/qr.py", "import state.values"),
    "shell": ("bot/qr.py", "import ecitizen.diagram"),
}
# What the store may import of the engine: the ports and the records and messages they
# speak of. Every other module of flows.engine must be in the store contract's list.
STORE_MAY_IMPORT = {
    "ports",
    "session_ports",
    "channel_ports",
    "records",
    "unit",
    "changes",
    "messages",
    "codec",
}


def _copy_packages(to: Path) -> None:
    def not_python(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n == "__pycache__" or (not n.endswith(".py") and not (Path(folder) / n).is_dir())
        ]

    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=not_python)
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contracts")
    _copy_packages(folder)
    return folder


def lint_imports(folder: Path) -> str:
    """`lint-imports` over the packages in `folder` (not the installed ones); its report."""
    program = Path(sys.executable).with_name("lint-imports")
    command = [str(program) if program.exists() else "lint-imports", "--no-cache", "--no-logo"]
    env = {**os.environ, "PYTHONPATH": str(folder), "COLUMNS": "400"}
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout + done.stderr


def broken(report: str) -> set[str]:
    return {cid for cid, c in CONTRACTS.items() if f"{c['name']} BROKEN" in report}


def kept(report: str) -> set[str]:
    return {cid for cid, c in CONTRACTS.items() if f"{c['name']} KEPT" in report}


def test_the_clean_code_keeps_every_contract(scratch: Path) -> None:
    report = lint_imports(scratch)
    assert kept(report) == set(CONTRACTS), report


def test_every_contract_has_a_violation_that_proves_it() -> None:
    assert set(VIOLATIONS) == set(CONTRACTS)


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract_and_no_other(
    contract: str, tmp_path: Path, scratch: Path
) -> None:
    shutil.copytree(scratch, tmp_path, dirs_exist_ok=True)
    file, added = VIOLATIONS[contract]
    module = tmp_path / file
    module.write_text(module.read_text(encoding="utf-8") + "\n" + added + "\n", encoding="utf-8")
    report = lint_imports(tmp_path)
    assert broken(report) == {contract}, report


def test_every_io_library_is_named_when_the_core_imports_it(tmp_path: Path, scratch: Path) -> None:
    shutil.copytree(scratch, tmp_path, dirs_exist_ok=True)
    file, added = VIOLATIONS["no-io"]
    (tmp_path / file).write_text(added + "\n", encoding="utf-8")
    report = lint_imports(tmp_path)
    for library in NO_IO_LIBRARIES:
        assert f"flows.conversations.checks -> {library} " in report, library


def test_the_store_contract_names_every_engine_module_but_the_ports() -> None:
    engine = {p.stem for p in (ROOT / "flows" / "engine").glob("*.py") if p.stem != "__init__"}
    forbidden: list[str] = CONTRACTS["store"]["forbidden_modules"]  # type: ignore[assignment]
    named = {m.removeprefix("flows.engine.") for m in forbidden if m.startswith("flows.engine.")}
    assert named == engine - STORE_MAY_IMPORT
