"""A PostgreSQL schema of its own for a test that opens whole apps rather than one store
(the store tests get theirs from the `backend` fixture, tests/state/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.state.conftest import _postgres_admin, _test_url


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """The URL of a fresh schema on ECITIZEN_TEST_PG, dropped afterwards. Without
    PostgreSQL the test skips, except in CI (CI=true), where it fails."""
    url, admin = await _postgres_admin()
    schema = f"test_{uuid.uuid4().hex}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _test_url(url, schema)
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
