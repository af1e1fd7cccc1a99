"""The system of record: one store on SQLite (the default) or PostgreSQL.

store = await open_store("sqlite:///data/ecitizen.db")  # migrates
...
await store.close()
"""

from state.account_records import UnknownAccount
from state.store import SqlStore, open_store

__all__ = ["SqlStore", "UnknownAccount", "open_store"]
