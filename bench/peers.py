"""The three implementations `make bench` plays, each in either of its two ways."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from bench.dialogue import Registered, User

NAMES = ("ptb", "aiogram", "engine")
Mode = Literal["logic", "telegram"]
MODES: tuple[Mode, ...] = ("logic", "telegram")


class Peer(Protocol):
    name: str

    async def start(self) -> None: ...

    async def send(self, user: int, index: int) -> None: ...

    async def registered(self) -> set[Registered]: ...

    async def close(self) -> None: ...


def make_peer(name: str, mode: Mode, users: Sequence[User], data_dir: Path) -> Peer:
    """`logic`: no Bot API call anywhere, replies rendered to text and buttons;
    `telegram`: every reply sent and every button answered through a Telegram client
    against the canned Bot API (bench/canned.py)."""
    telegram = mode == "telegram"
    if name == "ptb":
        from bench.peers_ptb import PtbPeer

        return PtbPeer(users, telegram)
    if name == "aiogram":
        from bench.peers_aiogram import AiogramPeer

        return AiogramPeer(users, telegram)
    from bench.ours import ChannelPeer, EnginePeer

    return ChannelPeer(users, data_dir) if telegram else EnginePeer(users, data_dir)
