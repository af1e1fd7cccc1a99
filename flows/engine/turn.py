"""One turn of a conversation: what came in, what the engine has decided so far.

Checks, providers and actions (the named parts a flow table refers to) receive the Turn.
Checks are pure; providers and actions only read through the store port (the engine
gives them a read-only view); actions add changes to the unit that the engine applies in
one transaction after the turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flows.domain.deep_links import LinkSigner, telegram_url, viber_url
from flows.domain.halls import Hall
from flows.domain.textinput import Invalid as Invalid
from flows.engine.channel_ports import ChannelPort, ChannelTraits, PersonalChat, UnknownHall
from flows.engine.messages import DEFAULT_LANGUAGE, Choice, ConversationKey, Inbound, Msg
from flows.engine.ports import AccountProvider, StoreError, StoreReader
from flows.engine.records import AuditEntry, Conversation, Officer, Unit


@dataclass(frozen=True, slots=True)
class EngineSettings:
    retention_days: int = 30  # personal data of closed registrations kept this long
    booking_days: int = 10  # how many days ahead visits can be booked
    checkin_tolerance_min: int = 30  # early/late check-in still counts as the appointment
    notify_places_ahead: int = 3  # tell a chat when its ticket is this close to the front
    invite_hours: int = 72  # officer enrollment codes expire after this
    max_failures: int = 3  # after this many failed tries the step is explained again
    bot_username: str = ""  # Telegram bot, for deep links (t.me/<bot>?start=...)
    deep_link_days: int = 30
    viber_uri: str = ""  # Viber bot, for deep links (viber://pa?chatURI=<uri>&context=...)
    activation_code_days: int = 7  # an activation code works this long after it is printed
    activation_reminder_hours: int = 24  # no first login this long after approval: remind
    # where ConsentID is installed from: a deployment may name the store pages exactly
    consentid_android_url: str = "https://play.google.com/store/search?q=ConsentID&c=apps"
    consentid_ios_url: str = (
        "itms-apps://search.itunes.apple.com/WebObjects/MZSearch.woa/wa/search"
        "?media=software&term=ConsentID"
    )


@dataclass(frozen=True, slots=True)
class ChatLinks:
    """The links that open a registration in each configured messenger (same payload)."""

    telegram: str | None = None
    viber: str | None = None

    @property
    def first(self) -> str | None:
        """The one QR code a screen or slip shows first: Telegram's, else Viber's."""
        return self.telegram or self.viber

    @property
    def also_viber(self) -> str | None:
        """Viber's as well, when it is not the first ("continue in Viber")."""
        return self.viber if self.telegram else None

    def extras(self) -> dict[str, str]:
        """For Outbound.extras: each link under "link.<messenger>"."""
        found = {"link.telegram": self.telegram, "link.viber": self.viber}
        return {k: v for k, v in found.items() if v}


@dataclass(slots=True)
class Env:
    """What the engine works with; built once at start-up."""

    store: StoreReader  # a turn reads; what it changes goes into its unit
    accounts: AccountProvider
    halls: Mapping[str, Hall]
    settings: EngineSettings
    clock: Callable[[], datetime]
    links: LinkSigner
    # what each channel answers about its conversations (by channel name); a channel not
    # here is a person's own chat, in no hall
    channels: Mapping[str, ChannelPort] = field(default_factory=dict)

    def hall(self, code: str | None) -> Hall | None:
        return self.halls.get(code or "")

    def channel(self, key: ConversationKey) -> ChannelPort:
        return self.channels.get(key.channel) or _PERSONAL_CHAT

    def hall_here(self, key: ConversationKey) -> Hall | None:
        """The hall the conversation stands in, as its channel says; None: anywhere.
        Raises UnknownHall for a hall this deployment does not have."""
        code = self.channel(key).hall_of(key)
        if code is None:
            return None
        hall = self.halls.get(code)
        if hall is None:
            raise UnknownHall(code)
        return hall

    def deep_link(self, ref: str) -> str | None:
        """The chat link that follows this registration (Telegram's, else Viber's)."""
        return self.chat_links(ref).first

    def chat_links(self, ref: str) -> ChatLinks:
        """A link per configured messenger, with one signed payload."""
        settings = self.settings
        if not settings.bot_username and not settings.viber_uri:
            return ChatLinks()
        payload = self.links.sign(ref, self.clock() + timedelta(days=settings.deep_link_days))
        return ChatLinks(
            telegram_url(settings.bot_username, payload) if settings.bot_username else None,
            viber_url(settings.viber_uri, payload) if settings.viber_uri else None,
        )


_PERSONAL_CHAT = PersonalChat()


@dataclass(slots=True)
class Outcome:
    """A check or action leads somewhere other than "ok" (e.g. "too_young")."""

    name: str


@dataclass(slots=True)
class Presentation:
    """What a provider adds to a step: paragraphs before the prompt, and the choices."""

    texts: list[Msg] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    qr: str | None = None
    reference: str | None = None
    ticket: str | None = None
    # recorded in the unit if (and only if) this is what the reply shows: the access log
    audit: list[AuditEntry] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)  # Outbound.extras (the chat links)


@dataclass(slots=True)
class Turn:
    env: Env
    conv: Conversation
    inbound: Inbound
    unit: Unit
    texts: list[Msg] = field(default_factory=list)  # said before the next prompt
    officer: Officer | None = None
    officer_loaded: bool = False
    # a refusal of the unit by the store (slot full, someone else took it) lands here
    on_refusal: Callable[[Turn, StoreError], Awaitable[None]] | None = None
    shown: Presentation | None = None  # set when a step or action shows a result
    finished: bool = False

    @property
    def language(self) -> str:
        return self.conv.language or DEFAULT_LANGUAGE

    @property
    def slots(self) -> dict[str, Any]:
        return self.conv.slots

    @property
    def traits(self) -> ChannelTraits:
        """What the channel of this conversation can do."""
        return self.env.channel(self.conv.key).traits

    def hall_here(self) -> Hall | None:
        """The hall this conversation stands in (a screen there), or None: anywhere.
        Raises UnknownHall, which the engine answers, for a hall not set up here."""
        return self.env.hall_here(self.conv.key)

    def say(self, key: str, **values: str | Msg) -> None:
        self.texts.append(Msg.of(key, **values))

    async def load_officer(self) -> Officer | None:
        if not self.officer_loaded:
            self.officer = await self.env.store.officer_for(self.conv.key)
            self.officer_loaded = True
        return self.officer


_T = TypeVar("_T")

Check = Callable[[str, Turn], Any]  # returns the value to store, Invalid or Outcome
Provider = Callable[[Turn], Awaitable[Presentation]]
Action = Callable[[Turn], Awaitable[str]]  # returns the outcome to follow
Predicate = Callable[[Turn], bool]


@dataclass(slots=True)
class Parts:
    """The named checks, providers, actions and predicates flow tables refer to."""

    checks: dict[str, Check] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    predicates: dict[str, Predicate] = field(default_factory=dict)

    def merge(self, other: Parts) -> Parts:
        _join(self.checks, other.checks)
        _join(self.providers, other.providers)
        _join(self.actions, other.actions)
        _join(self.predicates, other.predicates)
        return self


def _join(mine: dict[str, _T], theirs: dict[str, _T]) -> None:
    clash = set(mine) & set(theirs)
    if clash:
        raise ValueError(f"named twice: {sorted(clash)}")
    mine.update(theirs)
