"""Portal accounts from the built-in provider: stable usernames, codes kept only hashed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from flows.engine.ports import Account, VersionConflict
from flows.engine.records import NewAccount, Registration, Unit
from state import SqlStore, UnknownAccount
from state.accounts import BuiltinAccountProvider, normalize_code
from tests.state.store_support import registration

CODE = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


async def save(store: SqlStore, ref: str, username: str) -> None:
    await store.apply(Unit(accounts=[NewAccount(ref, username)]))


async def create(provider: BuiltinAccountProvider, store: SqlStore, reg: Registration) -> Account:
    """What an approval does: the provider decides, the unit saves."""
    account = await provider.account_for(reg)
    await save(store, reg.ref, account.username)
    return account


async def test_a_username_is_saved_once_and_belongs_to_one_registration(store: SqlStore) -> None:
    await save(store, "R-1", "ana.jovanovic")
    await save(store, "R-1", "ana.jovanovic")  # an approval's unit run again: no change
    assert await store.account_of("R-1") == "ana.jovanovic"
    with pytest.raises(VersionConflict):  # another name for R-1: decided on a stale read
        await save(store, "R-1", "something.else")
    with pytest.raises(VersionConflict):  # taken by R-1 meanwhile: R-2 decides again
        await save(store, "R-2", "ana.jovanovic")
    assert await store.account_of("R-2") is None
    assert await store.username_taken("ana.jovanovic")
    assert not await store.username_taken("something.else")


async def test_the_email_address_is_the_username_when_there_is_one(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)
    account = await create(provider, store, registration("R-1", email="Ana@Example.rs"))
    assert account.username == "ana@example.rs"
    assert await provider.account_for(registration("R-1", email="Ana@Example.rs")) == account


async def test_without_email_the_name_in_ascii_is_the_username(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)

    def djordje(ref: str) -> Registration:
        return registration(ref, email=None, first_name="Ђорђе", last_name="Петровић")

    first = await create(provider, store, djordje("R-1"))
    namesake = await create(provider, store, djordje("R-2"))
    again = await provider.account_for(djordje("R-1"))

    assert first.username == "djordje.petrovic"
    assert namesake.username == "djordje.petrovic.2"
    assert again == first


async def test_an_activation_code_is_shown_once_and_kept_only_hashed(store: SqlStore) -> None:
    provider = BuiltinAccountProvider(store)
    account = await create(provider, store, registration("R-1"))
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


async def test_an_activation_code_stops_working_when_its_validity_ends(store: SqlStore) -> None:
    now = [registration("R-1").created_at]
    provider = BuiltinAccountProvider(store, clock=lambda: now[0], code_valid=timedelta(days=7))
    account = await create(provider, store, registration("R-1"))
    code = await provider.issue_activation_code(account.username)
    now[0] += timedelta(days=6, hours=23)
    assert await provider.verify_activation_code(account.username, code)
    now[0] += timedelta(hours=1)
    assert not await provider.verify_activation_code(account.username, code)  # expired
    newer = await provider.issue_activation_code(account.username)  # the officer's reprint
    assert await provider.verify_activation_code(account.username, newer)
