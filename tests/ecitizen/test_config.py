"""Settings: defaults with no file, the example file is valid, mistakes are named."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from ecitizen.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_no_config_file_runs_on_embedded_defaults() -> None:
    config = load_config(None, environ={})
    assert config.database_url.startswith("sqlite:///") and "var" in config.database_url
    assert config.halls[0].code == "kg"
    assert len(config.halls) == 3
    hall = config.halls[0].to_hall()
    assert hall.slots_on(date(2026, 11, 30))  # a Monday: open


def test_the_example_config_is_valid_and_matches_the_defaults() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    config = parse_config(raw)
    defaults = load_config(None, environ={})
    assert config.engine == defaults.engine and config.telegram == defaults.telegram
    assert config.kiosk == defaults.kiosk
    assert config.halls[0] == defaults.halls[0]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[engine]\nretention_dayz = 3\n", "[engine] retention_dayz"),
        ("[engine]\nretention_days = 'thirty'\n", "[engine] retention_days"),
        ("[engine]\nbot_username = 'x'\n", "[engine] bot_username: it is [telegram] bot_username"),
        ("[server]\nport = true\n", "[server] port"),
        ("[nonsense]\nx = 1\n", "[nonsense]"),
        ("[logging]\nlevel = 'LOUD'\n", "[logging] level"),
        (
            "[[halls]]\ncode='x'\nname='X'\nname_en='X'\naddress='a'\nprinter='nowhere'\n",
            "printer 'nowhere'",
        ),
        (
            "[[halls]]\ncode='x'\nname='X'\nname_en='X'\naddress='a'\n[halls.hours]\nmon='9-5'\n",
            "hours.mon",
        ),
        ("[engine\n", "config.toml"),
    ],
)
def test_a_mistake_stops_start_up_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_config(path, environ={})


def test_the_token_and_database_come_from_the_environment_too(tmp_path: Path) -> None:
    config = load_config(
        None, environ={"ECITIZEN_TELEGRAM_TOKEN": "123:abc", "ECITIZEN_DATABASE": "postgresql://x"}
    )
    assert config.telegram.token == "123:abc"
    assert config.database_url == "postgresql://x"
