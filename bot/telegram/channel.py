"""The Telegram channel: the Bot API as the transport, our engine as the brain.

Updates come by long polling (polling.py) or our webhook route (webhook.py) as the Bot
API's JSON and are read straight into the engine's Inbound (inbound.py), each chat's in
order (bot/ordering.py); the engine's replies are rendered (render.py) and sent through
the shared paced sender, replies in a dialogue first, then replies to people who just
opened the bot, then queued notifications. python-telegram-bot is the client: its Bot
for start-up and settings (getMe, the command menus, the webhook), its errors for
Telegram's refusals, and its request interface, which we fill with our own keep-alive
connections (http.py, wire.py). The calls made for every update (send, answer a button,
edit, getUpdates) go straight through that request: building PTB's objects for them cost
more CPU than the engine spends on the whole message. No conversation state here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Literal

from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.delivery import OutboxDelivery
from bot.ordering import ChatOrder
from bot.pacing import FIRST_CONTACT, URGENT, SendLimiter, SendLimits
from bot.sending import RetryPolicy, Sender
from bot.shared_pace import SharedPace
from bot.telegram.buttons import Buttons
from bot.telegram.chats import ChatMemory, ChoiceIds, LanguageHooks
from bot.telegram.commands import publish_menus
from bot.telegram.errors import (
    InvalidTelegramToken,
    TelegramSettingsError,
    TelegramStartError,
    TelegramUnreachable,
)
from bot.telegram.http import BotApiRequest
from bot.telegram.inbound import CHANNEL, Incoming, Json, Malformed, read_update, update_chat
from bot.telegram.polling import Poller
from bot.telegram.render import Renderer, TelegramMessage
from bot.telegram.text import escape
from bot.telegram.transport import Sent, TelegramTransport
from bot.telegram.updates import UpdatesRequest
from bot.telegram.webhook import WebhookReceiver
from flows.engine.channel_ports import Conversations, RecipientGone, SendSlots, TryLater
from flows.engine.i18n import normalize_language, text
from flows.engine.messages import Command, Outbound, is_page_turn

log = logging.getLogger(__name__)
# python-telegram-bot logs whole updates at DEBUG: names, phone numbers, what people type
# (a PIN typed by mistake too). Our logs never hold them, whatever the root level is.
logging.getLogger("telegram").setLevel(logging.INFO)

DEFAULT_API_URL = "https://api.telegram.org"
ALLOWED_UPDATES = ["message", "callback_query"]
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Telegram allows a bot about 30 messages per second overall and about one per second in
# a chat, short bursts tolerated (core.telegram.org/bots/faq): kept just under.
TELEGRAM_LIMITS = SendLimits(per_second=29.5, per_chat_per_second=1.0, per_chat_burst=3)
DEFAULT_RETRY = RetryPolicy()

Mode = Literal["polling", "webhook"]


class TelegramChannel:
    def __init__(
        self,
        engine: Conversations,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        mode: str = "polling",  # or "webhook"
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_path: str = "/telegram/webhook",
        limits: SendLimits = TELEGRAM_LIMITS,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll_timeout_s: int = 30,
        max_running: int = 256,
        reply_max_wait_s: float = 60.0,
        notify_max_wait_s: float = 10.0,
        share_pace_with: SendSlots | None = None,
    ) -> None:
        """`share_pace_with`: the store through which the processes sending for this bot
        hold Telegram's bot-wide limit together (bot/shared_pace.py); None: this process
        sends alone."""
        if not token.strip():
            raise TelegramSettingsError("[telegram] token is empty")
        if mode not in ("polling", "webhook"):
            raise TelegramSettingsError(
                f'[telegram] mode must be "polling" or "webhook", not {mode!r}'
            )
        if mode == "webhook":
            if not webhook_url:
                raise TelegramSettingsError('[telegram] mode = "webhook" needs webhook_url')
            if not webhook_secret or not _SECRET.fullmatch(webhook_secret):
                raise TelegramSettingsError(
                    "[telegram] webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
                )
        self._engine = engine
        self._api_url = api_url.rstrip("/")
        self._mode: Mode = "webhook" if mode == "webhook" else "polling"
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret or ""
        self._reply_max_wait_s = reply_max_wait_s
        base_url = f"{self._api_url}/bot{token}"
        self._request = BotApiRequest(
            base_url=base_url, connections=Sender.IN_FLIGHT + 8, read_timeout=15.0
        )
        self._updates_request = UpdatesRequest(base_url=base_url, connections=2, read_timeout=15.0)
        self._bot = Bot(
            token,
            base_url=f"{self._api_url}/bot",
            base_file_url=f"{self._api_url}/file/bot",
            request=self._request,
            get_updates_request=self._updates_request,
        )
        self._order = ChatOrder(max_running)
        self.memory = ChatMemory()
        self._ids = ChoiceIds()
        self._renderer = Renderer(self._ids)
        self.limiter = SendLimiter(limits)
        if share_pace_with is not None:
            self.limiter.shared = SharedPace(share_pace_with, "telegram", limits.per_second)
        self._buttons = Buttons(self._request, self.limiter, self.memory, self._renderer)
        self.sender: Sender[TelegramMessage, Sent] = Sender(
            TelegramTransport(self._request), self.limiter, retry, name="Telegram"
        )
        self.delivery = OutboxDelivery(
            CHANNEL,
            self.sender,
            lambda outbound: self._renderer.render(outbound, reply=False).messages,
            int,
            hooks=LanguageHooks(self.memory),
            max_wait_s=notify_max_wait_s,
        )
        self._handling = 0  # updates being handled now
        self._all_handled = asyncio.Event()
        self._all_handled.set()
        self._webhook = WebhookReceiver(self._webhook_secret, self.handle_update, webhook_path)
        self._poller = Poller(
            self._bot,
            self._updates_request,
            self.handle_update,
            timeout_s=poll_timeout_s,
            allowed_updates=ALLOWED_UPDATES,
        )

    @property
    def username(self) -> str:
        """The bot's @username as Telegram reports it (known after start)."""
        return self._bot.username

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.username}?start={payload}"

    def webhook_routes(self) -> list[web.RouteDef]:
        """POST /telegram/webhook, for the shared aiohttp server (webhook mode only)."""
        return self._webhook.routes() if self._mode == "webhook" else []

    # -- life cycle ---------------------------------------------------------------------

    async def start(self, *, poll: bool = True) -> None:
        """Check the token (getMe), publish the command menus, start receiving updates
        (in polling mode only with poll=True: else start_polling() starts it later).

        Raises InvalidTelegramToken or TelegramUnreachable with a message for the operator."""
        try:
            await self._bot.initialize()
        except InvalidToken:
            await self._abandon()
            raise InvalidTelegramToken(
                f"Telegram refused the bot token (getMe at {self._api_url} answered 401/404). "
                "Check [telegram] token or ECITIZEN_TELEGRAM_TOKEN: the token comes from "
                "@BotFather and looks like 123456789:AA..."
            ) from None
        except NetworkError as exc:
            await self._abandon()
            raise TelegramUnreachable(
                f"Cannot reach the Telegram Bot API at {self._api_url} ({type(exc).__name__}). "
                "Check the network, or [telegram] api_url."
            ) from None
        self.sender.ready = True
        self._renderer.own_link = f"https://t.me/{self.username}?start="
        try:
            await publish_menus(self._bot)
        except TelegramError as exc:
            log.warning("Telegram: command menu not published (%s)", exc.message)
        try:
            if poll or self._mode == "webhook":
                await self._receive()
        except TelegramError as exc:
            await self.stop()
            where = self._webhook_url if self._mode == "webhook" else self._api_url
            raise TelegramStartError(
                f"Telegram refused to start {self._mode} ({where}): {exc.message}"
            ) from None
        how = self._mode if poll or self._mode == "webhook" else "polling not yet started"
        log.info("Telegram bot @%s started (%s)", self.username, how)

    async def _receive(self) -> None:
        if self._mode == "polling":
            await self._poller.start()  # removes a webhook left from before
        else:
            await self._bot.set_webhook(
                url=self._webhook_url or "",
                secret_token=self._webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )

    @property
    def polls(self) -> bool:
        """Whether this channel takes its updates by polling (else by webhook)."""
        return self._mode == "polling"

    async def start_polling(self) -> None:
        """Start fetching updates (polling mode, after start(poll=False))."""
        if not self._poller.running:
            await self._receive()

    async def stop_polling(self) -> None:
        """Stop fetching updates; those already fetched are still handled."""
        await self._poller.stop()

    async def stop_receiving(self) -> None:
        """Take no more updates and finish handling those received; sending still works,
        so the outbox worker can finish its round before stop()."""
        await self.stop_polling()
        await self.drained()

    async def stop(self) -> None:
        """stop_receiving(), then close the connection to Telegram."""
        await self.stop_receiving()
        self.sender.ready = False
        await self.limiter.close()
        await self._abandon()

    async def drained(self) -> None:
        """Wait until every update received so far has been handled and answered."""
        await self._all_handled.wait()

    async def handle_update(self, update: Json) -> None:
        """One update (the Bot API's JSON), handled to its end (the reply sent), in its
        chat's order. Malformed parts are logged and left out."""
        self._handling += 1
        self._all_handled.clear()
        try:
            await self._order.run(update_chat(update), self._on_update(update))
        except Malformed as exc:
            log.warning("Telegram: update not understood (%s), left out", exc)
        except Exception as error:
            # The update itself is not logged: it carries what people typed.
            log.error(
                "Telegram: error while handling an update: %s", type(error).__name__, exc_info=error
            )
        finally:
            self._handling -= 1
            if not self._handling:
                self._all_handled.set()

    async def _abandon(self) -> None:
        with contextlib.suppress(Exception):
            await self._bot.shutdown()

    # -- one update ---------------------------------------------------------------------

    async def _on_update(self, update: Json) -> None:
        incoming = read_update(update, self.memory, self._ids)
        if incoming is None:
            return
        if incoming.callback is not None:
            if not await self._buttons.settle(incoming, self._language(incoming)):
                return
        elif incoming.refusal is not None:
            await self._say(incoming, incoming.refusal)
            return
        try:
            replies = await self._engine.handle(incoming.inbound)
        except Exception:
            log.exception("Telegram: the engine failed on update %d", update["update_id"])
            await self._say(incoming, "telegram.error")
            return
        turned = is_page_turn(incoming.inbound.choice)
        if turned and await self._buttons.turn_page(incoming, replies):
            return
        # /start is what Telegram sends when someone opens the bot: after a TV
        # announcement thousands do at once, and people already in a dialogue go first
        opened = incoming.inbound.command is Command.START
        await self.send_replies(replies, FIRST_CONTACT if opened else URGENT)

    async def send_replies(self, replies: list[Outbound], priority: int = URGENT) -> None:
        """Send the engine's replies now, in order, ahead of queued notifications."""
        for outbound in replies:
            if outbound.key.channel != CHANNEL:
                log.error("Telegram: a reply for channel %s dropped", outbound.key.channel)
                continue
            chat_id = int(outbound.key.user_key)
            state = self.memory(chat_id)
            rendered = self._renderer.render(
                outbound, reply=True, reply_keyboard_shown=state.reply_keyboard
            )
            state.language = outbound.language
            try:
                await self.sender.send(
                    chat_id,
                    rendered.messages,
                    priority=priority,
                    max_wait_s=self._reply_max_wait_s,
                )
            except (RecipientGone, TryLater) as exc:
                log.warning("Telegram: reply to a chat not sent (%s)", exc)
                continue
            if rendered.reply_keyboard is not None:
                state.reply_keyboard = rendered.reply_keyboard
                state.reply_buttons = rendered.reply_buttons

    def _language(self, incoming: Incoming) -> str:
        state = self.memory(incoming.chat_id)
        return state.language or normalize_language(incoming.inbound.language_hint)

    async def _say(self, incoming: Incoming, key: str) -> None:
        """The channel's own short message (the engine is not asked)."""
        message = TelegramMessage(escape(text(key, self._language(incoming))))
        with contextlib.suppress(RecipientGone, TryLater):
            await self.sender.send(
                incoming.chat_id, [message], priority=URGENT, max_wait_s=self._reply_max_wait_s
            )
