"""Fixtures for the Viber channel tests: the fake Viber API and our whole app with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ecitizen.app import App
from tests.bot.viber.vb_support import ViberBot, serve_viber
from tests.fakes.viber_api import FakeViberApi


@pytest.fixture
async def api() -> AsyncIterator[FakeViberApi]:
    async with FakeViberApi() as server:
        yield server


@pytest.fixture
async def bot(make_app: Callable[..., Any], api: FakeViberApi) -> AsyncIterator[ViberBot]:
    app: App = await make_app()
    served = await serve_viber(app, api)
    yield served
    await served.close()
