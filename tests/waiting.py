"""Waiting for other processes or workers to get somewhere, bounded so a hang fails."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

PATIENCE_S = 60.0  # far above what any step takes: only a hang reaches it


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Until check() holds; AssertionError naming `what` if it never does."""
    try:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None
