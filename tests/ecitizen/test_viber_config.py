"""The [viber] settings: the token from the environment, and a missing public URL said
plainly at start-up rather than a bot Viber can never reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecitizen.config import ConfigError, load_config, parse_config
from ecitizen.server import serve


def test_the_token_comes_from_the_environment_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[viber]\ntoken = "from-the-file"\npublic_url = "https://e.example"\n')
    config = load_config(path, environ={"ECITIZEN_VIBER_TOKEN": "from-the-environment"})
    assert config.viber.token == "from-the-environment"
    assert config.viber.api_url == "https://chatapi.viber.com/pa"


def test_an_unknown_viber_setting_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"\[viber\] webhook"):
        parse_config({"viber": {"webhook": "https://e.example"}})


@pytest.mark.parametrize("public_url", ["", "egradjanin.example"])
async def test_a_bot_without_a_public_address_stops_start_up_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], public_url: str
) -> None:
    config = parse_config(
        {
            "data": {"dir": str(tmp_path / "var")},
            "viber": {"token": "a-token", "public_url": public_url},
        }
    )
    assert await serve(config) == 2
    said = capsys.readouterr().err
    assert "configuration error: [viber] public_url" in said and "a-token" not in said
