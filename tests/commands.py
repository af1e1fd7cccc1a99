"""`ecitizen` as an operator runs it: the command of this checkout, in its own process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ECITIZEN = (sys.executable, "-m", "ecitizen.cli")

# A hall open at any hour of any day (but the day's last minute): a server on the real
# clock issues tickets whenever the test runs (a closed hall issues none).
OPEN_ALWAYS_HALL = """
[[halls]]
code = "kg"
name = "Крагујевац, Градска управа"
name_en = "Kragujevac City Administration"
address = "Трг слободе 3, Крагујевац"
[halls.hours]
mon = "00:00-23:59"
tue = "00:00-23:59"
wed = "00:00-23:59"
thu = "00:00-23:59"
fri = "00:00-23:59"
sat = "00:00-23:59"
sun = "00:00-23:59"
"""


async def start_ecitizen(config: Path, *args: str, **streams: Any) -> asyncio.subprocess.Process:
    """`ecitizen --config <config> <args>`; `streams`: stdin, stdout, stderr as
    asyncio.create_subprocess_exec takes them."""
    return await asyncio.create_subprocess_exec(
        *ECITIZEN, "--config", str(config), *args, **streams
    )
