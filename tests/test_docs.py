"""The docs a newcomer reads first lead somewhere: every link in the README is a file of
this repository (a fresh clone has nothing beside it), and every file the architecture
page names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"(?<![\w.])\.\./")
NAMED_FILE = re.compile(
    r"`((?:flows|state|bot|kiosk|printing|ecitizen|tests|bench|docs)/[\w./-]*)`"
)


def inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def test_every_link_in_the_readme_is_a_file_of_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not OUTSIDE.findall(readme), "the README points outside the repository"
    local = [t for t in LINK.findall(readme) if not re.match(r"[a-z]+:|#", t)]
    assert "docs/architecture.md" in local
    for target in local:
        path = ROOT / target.split("#")[0]
        assert inside(path) and path.exists(), target


# What the worked examples of adding a flow and a channel would create.
EXAMPLES = {
    "flows/conversations/hours.py",
    "docs/flows/hours.md",
    "tests/flows/test_hours_dialogue.py",
    "bot/sms/",
    "tests/bot/sms/",
}


def test_every_file_the_architecture_page_names_exists() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = NAMED_FILE.findall(page)
    assert len(named) > 50
    missing = [name for name in named if not (ROOT / name).exists()]
    assert sorted(missing) == sorted(EXAMPLES)
