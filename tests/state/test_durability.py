"""SQLite commits reach the disk before "received" is said: synchronous FULL by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecitizen.app import build_app
from ecitizen.config import ConfigError, parse_config
from state import SqlStore
from state.db import Database, connect

FULL, NORMAL = 2, 1  # what PRAGMA synchronous reports


async def synchronous_of(db: Database) -> tuple[int, int]:
    """The writer connection's setting (it commits) and a reader's (it may checkpoint)."""
    async with db.transaction() as tx:
        (writer,) = await tx.fetch("PRAGMA synchronous")
    reader = await db.fetchrow("PRAGMA synchronous")
    assert reader is not None
    return int(writer[0]), int(reader[0])


async def test_a_new_store_commits_with_full_sync_by_default(tmp_path: Path) -> None:
    db = await connect(f"sqlite:///{tmp_path}/ecitizen.db")
    try:
        assert await synchronous_of(db) == (FULL, FULL)
    finally:
        await db.close()


async def test_the_setting_chooses_normal_for_the_whole_app(tmp_path: Path) -> None:
    config = parse_config({"data": {"dir": str(tmp_path)}, "database": {"synchronous": "normal"}})
    app = await build_app(config)
    try:
        assert isinstance(app.store, SqlStore)
        assert await synchronous_of(app.store._db) == (NORMAL, NORMAL)
    finally:
        await app.close()


async def test_the_app_commits_with_full_sync_without_a_setting(tmp_path: Path) -> None:
    app = await build_app(parse_config({"data": {"dir": str(tmp_path)}}))
    try:
        assert isinstance(app.store, SqlStore)
        assert await synchronous_of(app.store._db) == (FULL, FULL)
    finally:
        await app.close()


@pytest.mark.parametrize("value", ["off", "FULL", "extra", 2, True])
def test_any_other_value_stops_start_up_naming_the_key_and_the_choices(value: object) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"database": {"synchronous": value}})
    message = str(raised.value)
    assert "[database] synchronous" in message
    assert '"full"' in message and '"normal"' in message


def test_an_unknown_key_of_the_section_is_named() -> None:
    with pytest.raises(ConfigError, match=r"\[database\] fsync"):
        parse_config({"database": {"fsync": "full"}})


async def test_connect_refuses_a_value_it_would_put_into_a_pragma(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        await connect(f"sqlite:///{tmp_path}/x.db", synchronous="off; DROP")  # type: ignore[arg-type]
