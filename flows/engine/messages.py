"""What flows in and out of the engine, for every channel alike.

Inbound says who wrote and what; Outbound says what to show, never how. Each channel
renders an Outbound its own way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

LANGUAGES: tuple[str, ...] = ("sr-Cyrl", "sr-Latn", "en")
DEFAULT_LANGUAGE = "sr-Cyrl"


class Command(StrEnum):
    """Global commands: they work from any step of any flow."""

    START = "start"
    BACK = "back"
    CANCEL = "cancel"
    HELP = "help"
    LANGUAGE = "language"
    RESTART = "restart"
    STATUS = "status"
    GUIDE = "guide"
    OFFICER = "officer"
    CONSENTID = (
        "consentid"  # the ConsentID guide, after the approval (flows/conversations/activation.py)
    )
    REGISTER = "become"  # become an eCitizen (a draft set aside is taken up again)
    WIPE = "wipe"  # a shared screen: forget this session entirely (idle timeout, "finish")


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Who the conversation is with: one per channel and user (or screen session)."""

    channel: str
    user_key: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_key}"


@dataclass(frozen=True, slots=True)
class SessionStep:
    """The shared screen's session (a kiosk's) a message was sent from, as read when the
    request came in. The message's unit counts only while the session is still there at
    that number: a sweep that wiped it meanwhile, or another request that moved it on,
    refuses the whole unit. Applied, it moves the session on to `seq`, seen now, keeping
    `request` (what a repeat of `seq` is compared with)."""

    token: str
    read_seq: int
    seq: int
    request: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did: typed text, pressed a choice, shared a contact, ...

    Exactly one of text, choice, contact, command or scan is normally set; none set means
    something the engine cannot read (a sticker, a voice message) and gets a polite answer.
    """

    key: ConversationKey
    text: str | None = None
    choice: str | None = None
    contact: str | None = None  # a phone number the channel verified as the sender's own
    command: Command | None = None
    payload: str | None = None  # command payload, e.g. a deep-link start parameter
    scan: str | None = None  # a code read by a scanner
    message_id: str | None = None  # the channel's id, for idempotency
    language_hint: str | None = None  # e.g. Telegram's language_code
    session: SessionStep | None = None  # a kiosk's: its unit is conditional on the session


# Msg and Choice are made many times for every reply: their __init__ sets the slots
# through the slots' own descriptors, in a third less time than a frozen dataclass's
# generated one (which looks object.__setattr__ up again for every field).
@dataclass(frozen=True, slots=True, init=False)
class Msg:
    """A message key and its values; values may themselves be messages to translate."""

    key: str
    values: tuple[tuple[str, str | Msg], ...] = ()

    def __init__(self, key: str, values: tuple[tuple[str, str | Msg], ...] = ()) -> None:
        _set_msg_key(self, key)
        _set_msg_values(self, values)

    @staticmethod
    def of(key: str, **values: str | Msg) -> Msg:
        return Msg(key, tuple(sorted(values.items())) if values else ())

    def as_dict(self) -> dict[str, str | Msg]:
        return dict(self.values)


_set_msg_key = Msg.__dict__["key"].__set__
_set_msg_values = Msg.__dict__["values"].__set__


@dataclass(frozen=True, slots=True, init=False)
class Choice:
    id: str
    label: Msg

    def __init__(self, id: str, label: Msg) -> None:
        _set_choice_id(self, id)
        _set_choice_label(self, label)


_set_choice_id = Choice.__dict__["id"].__set__
_set_choice_label = Choice.__dict__["label"].__set__


# A choice whose id starts so turns the page of a long list (the visit times): it answers
# nothing, the same question comes back with the other page. Channels may set page turns
# apart from the answers (a row of their own, or the same message edited in place).
PAGE_TURN = "page:"


def is_page_turn(choice_id: str | None) -> bool:
    return choice_id is not None and choice_id.startswith(PAGE_TURN)


class Expect(StrEnum):
    """The kind of answer the step waits for; channels pick a keyboard from it."""

    NOTHING = "nothing"
    TEXT = "text"
    NAME = "name"
    DIGITS = "digits"
    PHONE = "phone"
    EMAIL = "email"
    CHOICE = "choice"
    YES_NO = "yes_no"
    SLOT = "slot"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Outbound:
    """One reply: paragraphs of text, the choices offered, and what input comes next."""

    key: ConversationKey
    language: str
    text: tuple[Msg, ...]
    choices: tuple[Choice, ...] = ()
    expect: Expect = Expect.NOTHING
    qr: str | None = None  # a payload to show as a QR code
    screen: str = ""  # the flow step this reply belongs to (a screen channel names pages by it)
    reference: str | None = None  # a registration reference the reply is about
    ticket: str | None = None  # a queue ticket number the reply is about
    end: bool = False  # the flow finished with this reply
    extras: Mapping[str, str] = field(default_factory=dict)
    # the answer already given to this question (back, or a change from the summary): a
    # screen with a field shows it to correct, not an empty field
    answer: str | None = None

    @property
    def for_officer(self) -> bool:
        """A screen of the officers' workspace: what it shows is labelled for an officer
        ("Ticket"), not for the citizen it is about ("Your ticket")."""
        return self.screen.startswith("officer.")


_COMMAND_WORD = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@\w+)?(?:\s|$)")


def unknown_command(text: str | None) -> str | None:
    """`/something` that no channel turned into a Command: no answer ever looks like it,
    so it is a command we do not know, not an answer to the question."""
    if not text or "/" not in text:  # nearly every message: no regular expression run
        return None
    found = _COMMAND_WORD.match(text.strip())
    return f"/{found.group(1)}" if found else None
