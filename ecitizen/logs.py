"""How the `ecitizen` command logs (the server's worker processes log the same way)."""

from __future__ import annotations

import logging


def configure_logging(*, with_process: bool = False) -> None:
    """INFO to stderr; with_process names the process on each line (several workers)."""
    who = " [%(process)d]" if with_process else ""
    # force: importing python-escpos has already called basicConfig
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s %(levelname)s{who} %(name)s: %(message)s",
        force=True,
    )
    logging.getLogger("transitions.core").setLevel(logging.WARNING)
