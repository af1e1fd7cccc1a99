"""`ecitizen db migrate` and `ecitizen db copy --from <sqlite file or url> --to postgresql://...`.

The copy itself is state.copy; this is what the operator types and reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from state.copy import CopyRefused, copy_database


def add_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the database: migrate, or copy SQLite to PostgreSQL")
    actions = db.add_subparsers(dest="action", required=True)
    actions.add_parser("migrate", help="apply the numbered migrations (also done at every start)")
    copy = actions.add_parser(
        "copy",
        help="copy an SQLite installation into an empty PostgreSQL database",
        description="Copies every row of every table; stop `ecitizen serve` first.",
    )
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SQLITE",
        help="the SQLite file (e.g. var/ecitizen.db) or its sqlite:/// URL",
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="postgresql://user@host/db"
    )
    copy.add_argument("--batch", type=int, default=1000, help=argparse.SUPPRESS)


def sqlite_url(given: str) -> str:
    """A file path becomes sqlite:////its/absolute/path; a URL stays as it is."""
    if given.startswith("sqlite:"):
        return given
    return f"sqlite:///{Path(given).resolve()}"


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def run_copy(args: argparse.Namespace) -> int:
    source = sqlite_url(args.source)
    target: str = args.target
    sys.stdout.write(f"copying {source} to {without_password(target)}\n")
    try:
        copied = await copy_database(source, target, batch=args.batch)
    except CopyRefused as exc:
        sys.stderr.write(f"db copy: {exc}\n")
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"db copy: cannot use the target ({type(exc).__name__}: {exc})\n")
        return 1
    width = max(len(c.table) for c in copied)
    sys.stdout.write(f"{'table':{width}}  {'source':>10}  {'target':>10}\n")
    for c in copied:
        sys.stdout.write(f"{c.table:{width}}  {c.source_rows:>10,}  {c.target_rows:>10,}\n")
    rows = sum(c.target_rows for c in copied)
    sys.stdout.write(f"copied {len(copied)} tables, {rows:,} rows; every count matches\n")
    return 0
