"""What the printing tests share: a hall, the portal's account provider as a deployment
plugs it in, and a way to queue a print job through the store's one write path."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flows.records import Unit
from flows.slips import HallInfo
from state import SqlStore

HALL = HallInfo(
    name="Градска управа Крагујевац",
    name_en="Kragujevac City Administration",
    address="Трг српских ратника 25, Крагујевац",
)


class PortalAccounts:
    """The portal's side of the AccountProvider port (an outside system): a fresh
    one-time code per call, of which only a salted hash is kept, in our store."""

    def __init__(self, store: SqlStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.issued = 0

    async def create_account(self, registration: Any) -> Any:
        raise NotImplementedError

    async def issue_activation_code(self, username: str) -> str:
        code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
        salt = secrets.token_hex(8)
        digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
        await self.store.set_activation_hash(username, f"{salt}${digest}", self.clock())
        self.issued += 1
        return code

    async def verifies(self, username: str, code: str) -> bool:
        stored = await self.store.activation_hash(username)
        if stored is None:
            return False
        salt, digest = stored.split("$")
        expected = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
        return hmac.compare_digest(expected, digest)


async def enqueue(
    store: SqlStore, key: str, printer: str, slip: str, payload: dict[str, Any]
) -> int:
    await store.apply(Unit(print_jobs=[(key, printer, slip, payload)]))
    return next(j.id for j in await store.print_jobs(printer) if j.key == key)
