"""docs/privacy.md states the retention policy the code enforces: its tables are generated
from the rules the purge runs, every table of the schema is in it, and every setting it
names exists with the default it says."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

from ecitizen.config import EngineConfig
from ecitizen.privacy import DOC, POLICY_TABLES, SETTINGS, document
from state import open_store

ROOT = Path(__file__).resolve().parents[2]


def test_the_document_is_current() -> None:
    current = DOC.read_text(encoding="utf-8")
    assert current == document(current), "run `make privacy`: docs/privacy.md is out of date"


async def test_every_table_of_the_schema_has_a_rule(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'schema.db'}")
    await store.close()
    conn = sqlite3.connect(tmp_path / "schema.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    stated = {name.strip() for rule in POLICY_TABLES for name in rule.where.split(",")}
    assert tables - stated == set(), "add a rule to state/retention.py (or ecitizen/privacy.py)"
    assert stated - tables == set()


def test_every_setting_it_names_exists_and_is_documented() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(EngineConfig)}
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for name, _ in SETTINGS:
        assert name in defaults
        assert re.search(rf"^{name} = {defaults[name]}$", example, re.M)
    named = set(re.findall(r"`([a-z_]+_(?:days|hours))`", DOC.read_text(encoding="utf-8")))
    assert named <= set(defaults)
