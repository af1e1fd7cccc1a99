"""Names that only a framework or mypy uses, which vulture (`make test`) would call dead.

Only real false positives belong here: code that nothing calls is removed, not listed.
"""

# ruff: noqa: B018
from bench.peers_aiogram import InstantSession
from bench.peers_ptb import CannedRequest
from bot.telegram.updates import PerChatOrder
from bot.telegram.wire import _Connection
from ecitizen.looplag import LagStats
from state.accounts import _is_a_provider
from state.db import Row
from state.store import _is_a_store

LagStats.p50_ms, LagStats.p99_ms, LagStats.max_ms  # read through asdict: the debug endpoint
# asyncio calls a Protocol's callbacks
_Connection.connection_made, _Connection.data_received, _Connection.eof_received
_Connection.connection_lost
PerChatOrder.do_process_update  # python-telegram-bot calls it for every update
Row.__getitem__  # the protocol of a result row (a tuple, or an asyncpg Record)
_is_a_provider  # never called: mypy checks there that the provider fits its port
_is_a_store  # never called: mypy checks there that the store fits its port
# The benchmark's canned Telegram for the peers: their base classes' methods, with the
# arguments those pass.
InstantSession.make_request
InstantSession.stream_content
CannedRequest.read_timeout
CannedRequest.do_request
_ = InstantSession  # vulture counts a name as used wherever it is read
_.chunk_size, _.raise_for_status, _.request_data, _.write_timeout, _.pool_timeout
