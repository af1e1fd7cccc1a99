"""Portal accounts from the built-in provider: stable usernames, codes kept only hashed."""

from __future__ import annotations

import re

import pytest

from flows.records import Registration
from state import SqlStore, UnknownAccount, UsernameTaken
from state.accounts import BuiltinAccountProvider, normalize_code
from tests.state.store_support import registration

CODE = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


async def test_saving_an_account_twice_keeps_the_first_username(store: SqlStore) -> None:
    assert await store.save_account("R-1", "ana.jovanovic") == "ana.jovanovic"
    assert await store.save_account("R-1", "something.else") == "ana.jovanovic"
    with pytest.raises(UsernameTaken):
        await store.save_account("R-2", "ana.jovanovic")
    assert await store.username_taken("ana.jovanovic")
    assert not await store.username_taken("something.else")


async def test_the_email_address_is_the_username_when_there_is_one(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)
    account = await provider.create_account(registration("R-1", email="Ana@Example.rs"))
    assert account.username == "ana@example.rs"
    assert (await provider.create_account(registration("R-1", email="Ana@Example.rs"))) == account


async def test_without_email_the_name_in_ascii_is_the_username(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)

    def djordje(ref: str) -> Registration:
        return registration(ref, email=None, first_name="Ђорђе", last_name="Петровић")

    first = await provider.create_account(djordje("R-1"))
    namesake = await provider.create_account(djordje("R-2"))
    again = await provider.create_account(djordje("R-1"))

    assert first.username == "djordje.petrovic"
    assert namesake.username == "djordje.petrovic.2"
    assert again == first


async def test_an_activation_code_is_shown_once_and_kept_only_hashed(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)
    account = await provider.create_account(registration("R-1"))
    code = await provider.issue_activation_code(account.username)

    assert CODE.match(code)
    stored = await store.activation_hash(account.username)
    assert stored is not None and normalize_code(code) not in stored and code not in stored
    assert await provider.verify_activation_code(account.username, code)
    assert await provider.verify_activation_code(account.username, code.lower().replace("-", " "))
    assert not await provider.verify_activation_code(account.username, "AAAA-BBBB-CCCC")
    assert not await provider.verify_activation_code("nobody", code)

    newer = await provider.issue_activation_code(account.username)
    assert newer != code
    assert not await provider.verify_activation_code(account.username, code)
    assert await provider.verify_activation_code(account.username, newer)


async def test_a_code_for_an_unknown_account_is_refused(store: SqlStore) -> None:
    with pytest.raises(UnknownAccount):
        await BuiltinAccountProvider(store).issue_activation_code("nobody")
