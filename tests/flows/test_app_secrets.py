"""A PIN or an activation code typed into a chat is answered, and kept nowhere: no table,
no log line. (The web chat and the kiosk over HTTP: tests/kiosk/test_activation_http.py.)"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from ecitizen.app import App
from flows.domain.appsecrets import looks_like_app_secret, mask_app_secrets
from state.accounts import new_activation_code
from tests.dialogue import Chat
from tests.flows.test_activation_dialogue import approved, to_step
from tests.flows.test_officer_dialogue import invite

PIN = "482915"
CODE = new_activation_code()  # e.g. "K7QM-2XPA-9RTD", as printed on a slip
SECRETS = (PIN, "482 915", CODE, CODE.replace("-", ""), CODE.lower())
TOLD = "Ово личи на PIN или активациони код"


def everything_stored(app: App) -> str:
    """Every row of every table of the app's database, as text."""
    path = Path(app.config.data.dir) / "ecitizen.db"
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(
            repr(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"')
        )


def assert_kept_nowhere(app: App, caplog: pytest.LogCaptureFixture) -> None:
    stored = everything_stored(app)
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for secret in SECRETS:
        for variant in (secret, secret.upper()):
            assert variant not in stored
            assert variant not in logged


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("482915", True),
        ("482 915", True),
        ("мој PIN је 482915", True),
        ("K7QM-2XPA-9RTD", True),
        ("k7qm 2xpa 9rtd", True),
        ("Код је K7QM2XPA9RTD.", True),
        ("٤٨٢٩١٥", True),  # Arabic-Indic digits are still six digits
        ("0512981717776", False),  # a JMBG
        ("012345678", False),  # an ID card or passport number
        ("064 123 4567", False),  # a phone number
        ("30.11.26", False),  # a date
        ("K7M4-PX9N", False),  # a registration reference
        ("registration", False),  # twelve letters are a word
        ("0512981\x07717776", False),  # a JMBG with a stray control character
    ],
)
def test_what_counts_as_a_pin_or_an_activation_code(text: str, secret: bool) -> None:
    assert looks_like_app_secret(text) is secret
    assert (mask_app_secrets(text) != text) is secret


def test_every_activation_code_issued_is_recognised_when_typed_into_a_chat() -> None:
    """A code of twelve letters would pass for a word and be kept: none is issued."""
    codes = [new_activation_code() for _ in range(3000)]
    assert [c for c in codes if not looks_like_app_secret(c)] == []


async def test_a_pin_or_code_typed_anywhere_is_answered_and_kept_nowhere(
    app: App, chat: Callable[..., Chat], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a = await approved(app, chat)
    # in the guide, at the PIN and at the activation steps
    await to_step(a.ana, "pin")
    assert TOLD in await a.ana.says(PIN)
    assert "корак 3 од 6" in a.ana.text  # the same step again, nothing lost
    await a.ana.picks("Урађено")
    assert TOLD in await a.ana.says(CODE)
    assert "корак 4 од 6" in a.ana.text
    assert TOLD in await a.ana.says(f"мој код је {CODE.lower()}")
    # at the menu
    await a.ana.says("/cancel")
    assert TOLD in await a.ana.says("482 915")
    # in the middle of a registration: the question stays, the answers so far too
    bob = chat("bob")
    await bob.begins_registration()
    await bob.says("Бобан")
    reply = await bob.says(CODE.replace("-", ""))
    assert TOLD in reply and "презиме" in reply
    assert "ЈМБГ" in await bob.says("Бобић")
    assert "Бобић" in everything_stored(app)  # the dump does see what is kept
    assert_kept_nowhere(app, caplog)


async def test_an_officers_enrollment_code_typed_when_asked_for_is_still_taken(
    app: App, chat: Callable[..., Chat]
) -> None:
    """It has the shape of an activation code; at the step that asks for it, it is meant."""
    mira = chat("mira")
    await mira.says("/start")
    await mira.picks("ћирилица")
    code = await invite(app, "Мира")
    await mira.says("/officer")
    assert "Добро дошли, Мира!" in await mira.says(code)
