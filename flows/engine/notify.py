"""Notification effects: messages nobody is waiting for, delivered later by the outbox.

The payload carries a whole Outbound as JSON, so the delivery worker needs nothing but
the channel to send it through.

Telegram and Viber cannot tell a message sent twice: a process that dies after handing a
notice to one of them and before recording the answer leaves it unknown whether the notice
arrived (ecitizen/outbox.py narrows that moment to one request). Every notice states what
the process that takes it over does then (InDoubt), chosen by what the person would
rather have: a repeat or a gap.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from enum import StrEnum

from flows.engine.codec import outbound_from_json, outbound_to_json
from flows.engine.messages import DEFAULT_LANGUAGE, Choice, ConversationKey, Msg, Outbound
from flows.engine.ports import StoreReader
from flows.engine.records import Effect, Officer
from flows.engine.turn import Turn

NOTIFY = "notify"
HALL_CHANGED = "hall_changed"
SENT_AGAIN = "notify.sent_again"  # the line a notice sent again in doubt ends with


class InDoubt(StrEnum):
    """What becomes of a notice whose process died while handing it to a messenger that
    cannot tell a repeat (the web chat's mailbox can: there it is simply posted again)."""

    # At least once: sent again, ending with a line that says so, so a person who has it
    # already knows it is the same notice. For what a person must not miss: their ticket
    # called, their decision, a reminder, someone waiting for an officer's help, a printer
    # that stopped.
    RESEND = "resend"
    # At most once: not sent again; the outbox marks it "uncertain". For what the person
    # sees anyway and a repeat would mislead: an arrival (the officer's queue lists it,
    # and a second notice reads as a second person).
    DROP = "drop"


def notify(
    key: ConversationKey,
    language: str,
    texts: list[Msg],
    idem: str,
    choices: tuple[Choice, ...] = (),
    *,
    in_doubt: InDoubt,
) -> Effect:
    """The effect's key rides along in the message (extras["notice"]): a channel that
    keeps what it was sent (the web chat's mailbox) keeps a notification delivered twice
    (a worker that died before marking it done) once. `choices`: buttons that work from
    anywhere ("cmd:..." ids), e.g. the way into a flow."""
    effect_key = f"{idem}:{key}"
    out = Outbound(
        key=key,
        language=language,
        text=tuple(texts),
        choices=choices,
        screen="notification",
        extras={"notice": effect_key},
    )
    payload = {"outbound": outbound_to_json(out), "in_doubt": in_doubt.value}
    return Effect(NOTIFY, effect_key, payload)


def outbound_of(effect: Effect) -> Outbound:
    return outbound_from_json(effect.payload["outbound"])


def in_doubt_of(effect: Effect) -> InDoubt:
    """A notice written before the choice was recorded is sent again (as it always was)."""
    return InDoubt(effect.payload.get("in_doubt", InDoubt.RESEND))


def sent_again(effect: Effect) -> Effect:
    """The notice as it is sent again in doubt: ending with a line that says so."""
    out = outbound_of(effect)
    if out.text and out.text[-1].key == SENT_AGAIN:
        return effect
    again = dataclasses.replace(out, text=(*out.text, Msg.of(SENT_AGAIN)))
    return dataclasses.replace(
        effect, payload={**effect.payload, "outbound": outbound_to_json(again)}
    )


async def notify_citizen(
    turn: Turn,
    ref: str,
    language: str,
    texts: list[Msg],
    idem: str,
    choices: tuple[Choice, ...] = (),
) -> bool:
    """Tell every chat linked to the registration (shared screens are never linked);
    False when there is none, so nobody will read it."""
    keys = await turn.env.store.links_of(ref)
    for key in keys:  # whatever a citizen is told they must not miss: sent again in doubt
        turn.unit.effects.append(
            notify(key, language, texts, idem, choices, in_doubt=InDoubt.RESEND)
        )
    return bool(keys)


async def chat_language(store: StoreReader, key: ConversationKey) -> str:
    """The language the chat last spoke (the default one for a chat that never did)."""
    conv = await store.load_conversation(key)
    return (conv.language if conv else None) or DEFAULT_LANGUAGE


def reachable(officer: Officer) -> bool:
    """An officer who may be told things, in the chat they enrolled from."""
    return bool(officer.active and officer.channel and officer.user_key)


async def officer_notices(
    store: StoreReader,
    officers: Iterable[Officer],
    texts: list[Msg],
    idem: str,
    *,
    in_doubt: InDoubt,
) -> list[Effect]:
    """The notification to each reachable officer, in their chat's language."""
    effects = []
    for officer in filter(reachable, officers):
        key = ConversationKey(officer.channel or "", officer.user_key or "")
        language = await chat_language(store, key)
        effects.append(notify(key, language, texts, idem, in_doubt=in_doubt))
    return effects


async def notify_officers(
    turn: Turn, hall: str, texts: list[Msg], idem: str, *, in_doubt: InDoubt
) -> None:
    officers = await turn.env.store.officers(hall)
    turn.unit.effects += await officer_notices(
        turn.env.store, officers, texts, idem, in_doubt=in_doubt
    )


def hall_changed(hall: str) -> Effect:
    return Effect(HALL_CHANGED, f"hall:{uuid.uuid4().hex}", {"hall": hall})
