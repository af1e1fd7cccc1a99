"""The Viber channel: Viber's REST API as the transport, our engine as the brain.

Viber POSTs callbacks to our server (bot/viber/callbacks.py); each message becomes an
Inbound for the engine, in order per person, and the engine's replies are sent with
send_message through the shared paced sender before the callback is answered. So a
process that dies between the commit and the send leaves the callback unanswered: Viber
retries it (on any process), the engine sees the message_token again and replays the
reply it recorded, and the person gets the next question exactly once more.

Who can be written to is in the store: an `unsubscribed` event, or a send refused
because the person left, marks the chat unreachable for every process; a `subscribed`
event or a new message from the person marks it back.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from aiohttp import web

from bot.delivery import OutboxDelivery
from bot.ordering import ChatOrder
from bot.pacing import URGENT, SendLimiter, SendLimits
from bot.sending import NetworkTrouble, RetryPolicy, Sender, SendProgress
from bot.text import utf16_length
from bot.viber.api import DEFAULT_API_URL, THROTTLED_WAIT_S, ViberApi
from bot.viber.callbacks import CallbackRoute
from bot.viber.errors import (
    InvalidViberToken,
    ViberRefused,
    ViberSettingsError,
    ViberStartError,
    ViberUnreachable,
)
from bot.viber.events import CHANNEL, RECEIPTS, Event, Incoming, conversation_key, read_message
from bot.viber.keyboard import keyboard_for
from bot.viber.pictures import PictureLinks
from bot.viber.render import (
    TEXT_LIMIT,
    Renderer,
    ViberMessage,
    api_version,
    sender_name,
    welcome,
)
from bot.viber.transport import ViberTransport
from flows.domain.deep_links import viber_url
from flows.engine.channel_ports import Conversations, RecipientGone, TryLater
from flows.engine.i18n import normalize_language, text
from flows.engine.messages import Outbound
from flows.engine.session_ports import ChatReachStore

log = logging.getLogger(__name__)

# Viber publishes no bot-wide rate for send_message (only broadcast_message's 500
# requests per 10 s, and 100 messages to one person an hour without a reply): we keep a
# safety pace well above a hall's needs, slowed down if Viber ever answers
# tooManyRequests, and a person gets a reply's few messages back to back.
VIBER_LIMITS = SendLimits(per_second=100.0, per_chat_per_second=5.0, per_chat_burst=10)
DEFAULT_RETRY = RetryPolicy()
WEBHOOK_PATH = "/viber/webhook"


class ViberStore(ChatReachStore, Protocol):
    async def recorded_reply(self, channel: str, message_id: str) -> list[Outbound] | None: ...


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


async def register_webhook(api: ViberApi, url: str) -> None:
    """set_webhook, with a message an operator can act on when it fails."""
    try:
        await api.set_webhook(url)
    except InvalidViberToken:
        raise InvalidViberToken(
            "Viber refused the bot token (set_webhook: invalidAuthToken). Check [viber] "
            "token or ECITIZEN_VIBER_TOKEN."
        ) from None
    except (ViberRefused, NetworkTrouble) as exc:
        raise ViberStartError(
            f"Viber could not register the webhook {url} ({exc}). It must be reachable "
            "from the internet over HTTPS and answer Viber's check: see [viber] public_url."
        ) from None


class ViberChannel:
    def __init__(
        self,
        engine: Conversations,
        token: str,
        *,
        public_url: str,
        secret: bytes,
        store: ViberStore,
        api_url: str = DEFAULT_API_URL,
        name: str = "",
        avatar: str = "",
        uri: str = "",
        limits: SendLimits = VIBER_LIMITS,
        retry: RetryPolicy = DEFAULT_RETRY,
        max_running: int = 256,
        reply_max_wait_s: float = 20.0,
        notify_max_wait_s: float = 10.0,
        throttled_wait_s: float = THROTTLED_WAIT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not token.strip():
            raise ViberSettingsError("[viber] token is empty")
        if not public_url.startswith(("https://", "http://")):
            raise ViberSettingsError(
                "[viber] public_url must be the server's address as Viber reaches it, "
                "e.g. https://ecitizen.example.org (Viber wants HTTPS with a trusted certificate)"
            )
        self._engine = engine
        self._store = store
        self._clock = clock
        self._name, self._avatar, self.uri = name, avatar, uri
        self.webhook_url = webhook_url(public_url)
        self.api = ViberApi(token, api_url, throttled_wait_s=throttled_wait_s)
        self._transport = ViberTransport(self.api)
        self.pictures = PictureLinks(secret, public_url, clock)
        self.renderer = Renderer(self.pictures)
        self.limiter = SendLimiter(limits)
        self.sender: Sender[ViberMessage, str] = Sender(
            self._transport, self.limiter, retry, name="Viber"
        )
        self.delivery = OutboxDelivery(
            CHANNEL,
            self.sender,
            self.renderer.render,
            str,
            hooks=ReachHooks(store, clock),
            max_wait_s=notify_max_wait_s,
        )
        self._callbacks = CallbackRoute(token, self._on_event, WEBHOOK_PATH)
        self._order = ChatOrder(max_running)
        self._reply_max_wait_s = reply_max_wait_s
        self._partial: OrderedDict[str, SendProgress] = OrderedDict()

    def routes(self) -> list[web.RouteDef]:
        """The callback (POST /viber/webhook) and the QR pictures (GET /viber/qr/...)."""
        return self._callbacks.routes() + self.pictures.routes()

    def deep_link(self, payload: str) -> str:
        return viber_url(self.uri, payload)

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token (get_account_info), then register the webhook. Our server must
        already serve the callback route: Viber calls it before answering set_webhook.

        Raises InvalidViberToken, ViberUnreachable or ViberStartError for the operator."""
        try:
            info = await self.api.account_info()
        except InvalidViberToken:
            await self.api.close()
            raise InvalidViberToken(
                f"Viber refused the bot token (get_account_info at {self.api.api_url}: "
                "invalidAuthToken). Check [viber] token or ECITIZEN_VIBER_TOKEN: it is the "
                "bot's app key from the Viber admin panel (Settings > Bots > Edit info)."
            ) from None
        except NetworkTrouble as exc:
            await self.api.close()
            raise ViberUnreachable(
                f"Cannot reach Viber's API at {self.api.api_url} ({exc}). "
                "Check the network, or [viber] api_url."
            ) from None
        except ViberRefused as exc:
            await self.api.close()
            raise ViberStartError(f"Viber refused the account: {exc.status_message}") from None
        self.uri = self.uri or str(info.get("uri", ""))
        self._transport.sender = {"name": sender_name(self._name or str(info.get("name", "")))}
        if self._avatar:
            self._transport.sender["avatar"] = self._avatar
        self.renderer.own_link = viber_url(self.uri, "") if self.uri else None
        self.sender.ready = True
        await self.set_webhook()
        log.info("Viber bot %s started (webhook %s)", self.uri or "?", self.webhook_url)

    async def set_webhook(self) -> None:
        try:
            await register_webhook(self.api, self.webhook_url)
        except ViberStartError:
            await self.stop()
            raise

    async def stop(self) -> None:
        self.sender.ready = False
        await self.limiter.close()
        await self.api.close()

    # -- one callback -------------------------------------------------------------------

    async def _on_event(self, event: Event) -> web.Response:
        if event.name == "message":
            return await self._order.run(event.user_id, self._message(event))
        if event.name == "conversation_started":
            return await self._order.run(event.user_id, self._started(event))
        if event.name in ("subscribed", "unsubscribed") and event.user_id is not None:
            reachable = event.name == "subscribed"
            await self._store.set_chat_reach(conversation_key(event.user_id), reachable, event.at)
        elif event.name in RECEIPTS and event.token is not None:
            await self._store.record_receipt(CHANNEL, event.token, event.name, event.at)
        return _ok()

    async def _started(self, event: Event) -> web.Response:
        """The one message Viber lets us send before the person subscribes goes in the
        answer's body: the greeting and the language choice (or, from a deep link, the
        registration it links)."""
        incoming = read_message(event)
        replies = await self._engine.handle(incoming.inbound)
        messages = [m for out in replies for m in self.renderer.render(out, origin=event.token)]
        message = welcome(messages)
        return web.json_response(self._transport.welcome(message) if message else {})

    async def _message(self, event: Event) -> web.Response:
        incoming = read_message(event)
        key = conversation_key(incoming.user_id)
        await self._store.chat_wrote(key, event.at)  # Viber subscribes whoever writes
        if incoming.refusal is not None:
            return await self._say(incoming, incoming.refusal)
        if incoming.page is not None:
            return await self._turn_page(incoming, incoming.page)
        replies = await self._engine.handle(incoming.inbound)
        messages = [
            m
            for out in replies
            if out.key.channel == CHANNEL
            for m in self.renderer.render(out, origin=incoming.inbound.message_id)
        ]
        if incoming.note is not None and messages:
            messages = _noted(messages, text(incoming.note, _language(incoming, replies)))
        return await self._send(incoming, messages)

    async def _send(self, incoming: Incoming, messages: Sequence[ViberMessage]) -> web.Response:
        """Send the reply now, ahead of queued notifications. Not sent yet (Viber busy,
        the network away): answered 503, so Viber retries and the reply is replayed; what
        was already sent is not sent again by this process."""
        token = incoming.inbound.message_id or ""
        progress = self._partial.pop(token, None) or SendProgress()
        try:
            await self.sender.send(
                incoming.user_id,
                messages,
                priority=URGENT,
                max_wait_s=self._reply_max_wait_s,
                progress=progress,
            )
        except TryLater as exc:
            log.warning("Viber: a reply not sent yet (%s); asking Viber to retry", exc)
            if token and progress.sent:
                self._partial[token] = progress
                if len(self._partial) > 10_000:
                    self._partial.popitem(last=False)
            return web.json_response({"error": "try again"}, status=503)
        except RecipientGone:
            await self._store.set_chat_reach(conversation_key(incoming.user_id), False, _now())
        except ViberRefused as exc:  # our fault: a retry would be refused the same way
            log.error("Viber refused a reply: %s", exc)
        return _ok()

    async def _say(self, incoming: Incoming, key: str) -> web.Response:
        """The channel's own short answer (the engine is not asked), with the keyboard
        the person was answering shown again (Viber shows the last message's keyboard)."""
        keys = incoming.keys
        line = text(key, keys.language if keys else _language(incoming, []))
        if keys is None:
            return await self._send(incoming, [ViberMessage("text", line)])
        message = ViberMessage(
            "text", line, None, keyboard_for(keys), keys.encode(), api_version(keys)
        )
        return await self._send(incoming, [message])

    async def _turn_page(self, incoming: Incoming, page: int) -> web.Response:
        """Another page of a long list, read back from the reply recorded for the message
        that showed it; gone from the store, the button says it is no longer valid."""
        keys = incoming.keys
        origin = keys.origin if keys is not None else None
        recorded = await self._store.recorded_reply(CHANNEL, origin) if origin else None
        listing = next((o for o in reversed(recorded or []) if o.choices), None)
        if listing is None or origin is None:
            return await self._say(incoming, "viber.button_stale")
        return await self._send(incoming, self.renderer.page(listing, origin, page))


class ReachHooks:
    """Notifications: none to a chat known to be unreachable; the messages of each one
    remembered for its delivery receipts; a person who left marked unreachable."""

    def __init__(self, store: ChatReachStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    async def before(self, outbound: Outbound) -> None:
        if not await self._store.chat_reachable(outbound.key):
            raise RecipientGone("the person unsubscribed")

    async def sent(self, outbound: Outbound, results: Sequence[str]) -> None:
        notice = outbound.extras.get("notice")
        if notice:
            tokens = [token for token in results if token]
            await self._store.record_sent(CHANNEL, tokens, notice, self._clock())

    async def gone(self, outbound: Outbound, reason: str) -> None:
        await self._store.set_chat_reach(outbound.key, False, _now())


def _now() -> datetime:
    """When we learnt that a person left: on Viber's clock (its events carry its times),
    which is the wall clock, not the application's (a test may set that one back)."""
    return datetime.now(UTC)


def _ok() -> web.Response:
    return web.json_response({})


def _language(incoming: Incoming, replies: list[Outbound]) -> str:
    if replies:
        return replies[0].language
    return normalize_language(incoming.inbound.language_hint)


def _noted(messages: list[ViberMessage], note: str) -> list[ViberMessage]:
    """The note said first, in the same message when there is room."""
    first = messages[0]
    if first.type == "text" and utf16_length(f"{note}\n\n{first.text}") <= TEXT_LIMIT:
        joined = ViberMessage(
            "text",
            f"{note}\n\n{first.text}",
            None,
            first.keyboard,
            first.tracking,
            first.min_api_version,
        )
        return [joined, *messages[1:]]
    return [ViberMessage("text", note, tracking=first.tracking), *messages]
