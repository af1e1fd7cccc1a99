"""One kiosk turn: a tap or an answer from the page, through the engine, to the next screen.

The page numbers its messages (seq). The next expected number is processed; a repeat of
the last one (a double tap, a retry after a lost answer) gets the same answer again
without reaching the engine twice; anything else (a second tab, an old page) gets 409 and
the screen that is current now. The engine also gets a message id per (session, seq), so
even a retry it has seen is applied once only.

The session moves on in the message's own unit, at the seq this request read it at
(flows.engine.messages.SessionStep): one commit per step. When the sweep wiped the session
while the turn ran, or another request moved it on, nothing of the turn is applied
(SessionEnded). What a session shows after a reload is the reply recorded with its last
message, drawn again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flows.domain.appsecrets import mask_app_secrets
from flows.engine.channel_ports import Conversations
from flows.engine.i18n import normalize_language, text
from flows.engine.json_body import (
    BadRequest,
    only_fields,
    optional_str,
    page_command,
    required_int,
)
from flows.engine.messages import Command, Inbound, SessionStep
from flows.engine.ports import SessionEnded
from flows.engine.records import KioskSession
from flows.engine.session_ports import RecordedReplies
from kiosk.screens import language_screen, screen_off_loop, ui_texts
from kiosk.sessions import KIOSK_CHANNEL, message_id

log = logging.getLogger(__name__)

MESSAGE_FIELDS = frozenset({"seq", "text", "choice", "command", "payload", "scan"})
ANSWER_FIELDS = ("text", "choice", "command", "scan")
# What a person at a kiosk may ask for; officer enrollment and the like are for chats.
KIOSK_COMMANDS = frozenset(
    {
        Command.START,
        Command.BACK,
        Command.CANCEL,
        Command.HELP,
        Command.LANGUAGE,
        Command.RESTART,
        Command.GUIDE,
        Command.WIPE,
    }
)
MAX_SEQ = 1_000_000
# The engine's answer when it applied nothing (a fault of ours, the database away).
NOT_APPLIED = "error"


@dataclass(frozen=True, slots=True)
class KioskMessage:
    seq: int
    text: str | None = None
    choice: str | None = None
    command: Command | None = None
    payload: str | None = None
    scan: str | None = None
    # The message as compared for a replay (and kept with the session until the wipe: a
    # PIN or an activation code typed by mistake is kept masked); made once, in __post_init__.
    request: dict[str, Any] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        request = {
            "text": mask_app_secrets(self.text) if self.text is not None else None,
            "choice": self.choice,
            "command": self.command.value if self.command else None,
            "payload": self.payload,
            "scan": self.scan,
        }
        object.__setattr__(self, "request", request)


def parse_message(data: dict[str, Any]) -> KioskMessage:
    only_fields(data, MESSAGE_FIELDS)
    seq = required_int(data, "seq", 0, MAX_SEQ)
    text_ = optional_str(data, "text", 500)
    choice = optional_str(data, "choice", 120)
    command_name = optional_str(data, "command", 40)
    payload = optional_str(data, "payload", 200)
    scan = optional_str(data, "scan", 200)
    given = [name for name in ANSWER_FIELDS if data.get(name) is not None]
    if len(given) != 1:
        raise BadRequest(400, "one_answer", "exactly one of text, choice, command, scan")
    command: Command | None = None
    if command_name is not None:
        command = page_command(command_name, payload, KIOSK_COMMANDS)
    elif payload is not None:
        raise BadRequest(400, "payload_without_command")
    return KioskMessage(seq, text_, choice, command, payload, scan)


def view(session: KioskSession) -> dict[str, Any]:
    """What the page shows for the session now, with the chrome in its language."""
    language = normalize_language(session.language)
    screen = session.screen or language_screen()
    return {"seq": session.seq, "language": language, "screen": screen, "ui": ui_texts(language)}


class TakenElsewhere(Exception):
    """The engine had seen this message already: another request of the session (a retry
    that reached another process, say) took it, and its answer is the one to give."""


class KioskTurns:
    def __init__(
        self,
        engine: Conversations,
        replies: RecordedReplies,
        leave_out: frozenset[str] = frozenset(),
    ) -> None:
        self._engine = engine
        self._replies = replies
        self._leave_out = leave_out  # message keys the kiosk does not show (screen_from)

    async def restore(self, session: KioskSession) -> KioskSession:
        """The session's screen as the reply to its last message drew it (once per read)."""
        if session.seq and session.screen is None:
            replies = await self._replies.recorded_reply(
                KIOSK_CHANNEL, message_id(session.token, session.seq)
            )
            if replies:
                session.screen = await screen_off_loop(replies, session.language, self._leave_out)
        return session

    async def take(
        self, session: KioskSession, message: KioskMessage
    ) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for one message; the caller holds the session's lock. The
        session moves on with the message's unit. Raises SessionEnded (the session was
        wiped, or moved on elsewhere, while the turn ran: nothing applied) and
        TakenElsewhere."""
        if message.seq == session.seq and session.last_request == message.request:
            return 200, view(await self.restore(session))  # the answer: nothing changed since
        if message.seq != session.seq + 1:
            return 409, {"error": "stale", **view(await self.restore(session))}
        inbound = Inbound(
            key=session.key,
            text=message.text,
            choice=message.choice,
            command=message.command,
            payload=message.payload,
            scan=message.scan,
            message_id=message_id(session.token, message.seq),
            language_hint=message.payload
            if message.command == Command.LANGUAGE
            else session.language,
            session=SessionStep(session.token, session.seq, message.seq, message.request),
        )
        try:
            replies = await self._engine.handle(inbound)
        except SessionEnded:
            raise
        except Exception as exc:  # the page keeps its screen and may send the same again
            log.error("kiosk engine failure: %s", type(exc).__name__)
            return 503, await self._unavailable(session)
        if not replies:
            raise TakenElsewhere(message.seq)
        if replies[-1].screen == NOT_APPLIED:  # nothing changed: the same again, later
            return 503, await self._unavailable(session)
        session.seq = message.seq
        session.language = replies[-1].language or session.language
        session.screen = await screen_off_loop(replies, session.language, self._leave_out)
        session.last_request = message.request
        return 200, view(session)

    async def _unavailable(self, session: KioskSession) -> dict[str, Any]:
        language = normalize_language(session.language)
        return {
            "error": "unavailable",
            "message": text("kiosk.error.unavailable", language),
            **view(await self.restore(session)),
        }
