"""`ecitizen` as an operator runs it: the command of this checkout, in its own process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ECITIZEN = (sys.executable, "-m", "ecitizen.cli")


async def start_ecitizen(config: Path, *args: str, **streams: Any) -> asyncio.subprocess.Process:
    """`ecitizen --config <config> <args>`; `streams`: stdin, stdout, stderr as
    asyncio.create_subprocess_exec takes them."""
    return await asyncio.create_subprocess_exec(
        *ECITIZEN, "--config", str(config), *args, **streams
    )
