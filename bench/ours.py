"""Our side of `make bench`: the durable engine, alone or behind our Telegram channel.

- logic (EnginePeer): `App.handle`, each reply rendered to text and buttons as the peers
  render theirs (bench.dialogue.render_reply); no Bot API anywhere.
- through Telegram (ChannelPeer): the Bot API's JSON of each update parsed as our webhook
  parses it, then bot/telegram's TelegramChannel.handle_update: the per-chat order, the
  button answered and its keyboard taken away, the engine, our Telegram renderer and the
  paced sender, posting through the channel's Telegram client to the canned Bot API
  (bench/canned.py). The pace is uncapped: the bench measures CPU, not Telegram's limits.

Both build the app as `ecitizen serve` does (`build_app`), on an SQLite file committed
with synchronous = FULL: every reply is released only once its unit is durable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import Update

from bench.canned import TOKEN, CannedRequest, CannedWire
from bench.dialogue import HALLS, Registered, Say, User, clock, render_reply, script
from bench.dialogue import telegram_update as update_json
from bot.pacing import SendLimits
from bot.telegram.channel import TelegramChannel
from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.engine.messages import Command, ConversationKey, Inbound
from flows.engine.records import RegistrationStatus

CHANNEL = "telegram"
UNCAPPED = SendLimits(per_second=1e6, per_chat_per_second=1e6, per_chat_burst=1000)


def inbound(user: User, message_id: int, say: Say) -> Inbound:
    key = ConversationKey(CHANNEL, str(100_000 + user.index))
    if say.kind == "start":
        return Inbound(key, command=Command.START, message_id=str(message_id))
    if say.kind == "choice":
        return Inbound(key, choice=say.value, message_id=str(message_id))
    return Inbound(key, text=say.value, message_id=str(message_id))


async def durable_app(data_dir: Path) -> App:
    config = parse_config({"data": {"dir": str(data_dir)}, "database": {"synchronous": "full"}})
    return await build_app(config, clock=clock)


async def submitted(app: App) -> set[Registered]:
    found: set[Registered] = set()
    for hall in HALLS:
        for r in await app.store.registrations_at(hall, [RegistrationStatus.SUBMITTED]):
            found.add((r.first_name, r.last_name, r.jmbg, r.phone, r.hall))
    return found


class EnginePeer:
    """Our engine as a channel drives it: App.handle, then the reply rendered to text."""

    name = "engine"

    def __init__(self, users: Sequence[User], data_dir: Path) -> None:
        self.users = users
        self.data_dir = data_dir
        self.inbounds: list[list[Inbound]] = []
        self._app: App | None = None

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def start(self) -> None:
        self._app = await durable_app(self.data_dir)
        message_id = 0
        for user in self.users:
            row = []
            for say in script(user):
                message_id += 1
                row.append(inbound(user, message_id, say))
            self.inbounds.append(row)

    async def send(self, user: int, index: int) -> None:
        for out in await self.app.handle(self.inbounds[user][index]):
            render_reply(out.text, out.choices, out.language)

    async def registered(self) -> set[Registered]:
        return await submitted(self.app)

    async def close(self) -> None:
        await self.app.close()


def canned_transport(channel: TelegramChannel) -> Callable[[bytes], Any]:
    """The one thing changed in the channel: what is under its Telegram client (not yet
    opened) is the canned Bot API, as for the peers. Returns what turns an update's JSON
    into what the channel's handle_update takes, as its webhook does."""
    channel_: Any = channel
    request = getattr(channel_, "_request", None)
    if request is not None and hasattr(request, "_wire"):  # bot/telegram's own client
        request._wire = CannedWire()
        return json.loads
    bot = channel_._app.bot  # PTB's Bot and its HTTP transport
    bot._request = (CannedRequest(), CannedRequest())
    return lambda body: Update.de_json(json.loads(body), bot)


class ChannelPeer:
    """Our engine behind our Telegram channel, as `ecitizen serve` runs it."""

    name = "engine"

    def __init__(self, users: Sequence[User], data_dir: Path) -> None:
        self.users = users
        self.data_dir = data_dir
        self.bodies: list[list[bytes]] = []
        self._app: App | None = None
        self._channel: TelegramChannel | None = None
        self._parse: Callable[[bytes], Any] = json.loads

    @property
    def channel(self) -> TelegramChannel:
        assert self._channel is not None
        return self._channel

    async def start(self) -> None:
        self._app = await durable_app(self.data_dir)
        channel = TelegramChannel(self._app, TOKEN, limits=UNCAPPED)
        self._parse = canned_transport(channel)
        logging.getLogger("telegram.ext").setLevel(logging.WARNING)  # "Application started"
        await channel.start(poll=False)
        self._app.add_delivery(CHANNEL, channel.delivery)
        self._channel = channel
        update_id = 0
        for user in self.users:
            bodies: list[bytes] = []
            for say in script(user):
                update_id += 1
                bodies.append(json.dumps(update_json(user, update_id, say)).encode())
            self.bodies.append(bodies)

    async def send(self, user: int, index: int) -> None:
        await self.channel.handle_update(self._parse(self.bodies[user][index]))

    async def registered(self) -> set[Registered]:
        assert self._app is not None
        return await submitted(self._app)

    async def close(self) -> None:
        await self.channel.stop()
        assert self._app is not None
        await self._app.close()
