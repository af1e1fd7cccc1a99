"""The built-in account provider: portal accounts issued locally.

A deployment that talks to the real portal puts its own AccountProvider behind the same
port. Here a username is the citizen's e-mail address when there is one, else
"firstname.lastname" in ASCII with a number when taken (flows.domain.usernames); the
activation code is random, shown once (on the credentials slip) and kept only as a
salted scrypt hash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from flows.domain.appsecrets import CODE_ALPHABET, CODE_GROUP_LEN, CODE_GROUPS
from flows.domain.usernames import username_candidates
from flows.engine.ports import Account, AccountProvider
from flows.engine.records import Registration
from state.base import Clock
from state.values import utc_now

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_CANDIDATES = 1000  # far more than two people with the same name in one registry


class AccountBackend(Protocol):
    """The part of the store the provider needs (flows.engine.ports.Store has all of it)."""

    async def username_taken(self, username: str) -> bool: ...

    async def account_of(self, ref: str) -> str | None: ...

    async def set_activation_hash(self, username: str, code_hash: str, now: datetime) -> None: ...

    async def activation_hash(self, username: str) -> str | None: ...

    async def activation_issued_at(self, username: str) -> datetime | None: ...


def new_activation_code() -> str:
    """12 characters from an unambiguous alphabet, grouped: "K7QM-2XPA-9RTD". Letters and
    digits both, always: twelve letters alone would read as a word, and a chat that is sent
    the code would not know it for one (flows/domain/appsecrets.py)."""
    length = CODE_GROUPS * CODE_GROUP_LEN
    chars = ""
    while not (any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)):
        chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    groups = [chars[i : i + CODE_GROUP_LEN] for i in range(0, len(chars), CODE_GROUP_LEN)]
    return "-".join(groups)


def normalize_code(code: str) -> str:
    """What the citizen typed, as the code it stands for: case, spaces and dashes ignored."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _scrypt(code: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        normalize_code(code).encode("ascii", "ignore"), salt=salt, n=n, r=r, p=p, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_code(code: str) -> str:
    """ "scrypt$n$r$p$salt$hash" with a fresh salt per code (blocking: about 50 ms)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(code, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def code_matches(code: str, stored: str) -> bool:
    """Constant-time comparison against a stored hash (blocking: about 50 ms)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
    digest = _scrypt(code, base64.b64decode(parts[4]), n, r, p)
    return hmac.compare_digest(digest, base64.b64decode(parts[5]))


class BuiltinAccountProvider:
    """flows.engine.ports.AccountProvider with the accounts kept in our own store."""

    def __init__(
        self,
        store: AccountBackend,
        *,
        clock: Clock = utc_now,
        code_valid: timedelta = timedelta(days=7),
    ) -> None:
        self._store = store
        self._clock = clock
        self._code_valid = code_valid  # a code works this long after it is issued (printed)

    async def account_for(self, registration: Registration) -> Account:
        """The registration's account, or the first free username for it. Reads only: the
        approval's unit saves it, and is refused (then decided again) if another
        registration took the username meanwhile."""
        saved = await self._store.account_of(registration.ref)
        if saved is not None:
            return Account(saved)
        candidates = username_candidates(
            registration.first_name, registration.last_name, email=registration.email
        )
        for _, candidate in zip(range(MAX_CANDIDATES), candidates, strict=False):
            if not await self._store.username_taken(candidate):
                return Account(candidate)
        raise RuntimeError(f"no free username for registration {registration.ref}")

    async def issue_activation_code(self, username: str) -> str:
        """A fresh code; the earlier one stops working. Only its hash is stored."""
        code = new_activation_code()
        code_hash = await asyncio.to_thread(hash_code, code)
        await self._store.set_activation_hash(username, code_hash, self._clock())
        return code

    async def verify_activation_code(self, username: str, code: str) -> bool:
        """The account's current code, not yet expired."""
        stored = await self._store.activation_hash(username)
        issued = await self._store.activation_issued_at(username)
        if stored is None or issued is None or issued + self._code_valid <= self._clock():
            return False
        return await asyncio.to_thread(code_matches, code, stored)


def _is_a_provider(provider: BuiltinAccountProvider) -> AccountProvider:
    """Never called: mypy checks here that the provider fits the port."""
    return provider
