"""Notification effects: messages nobody is waiting for, delivered later by the outbox.

The payload carries a whole Outbound as JSON, so the delivery worker needs nothing but
the channel to send it through.
"""

from __future__ import annotations

import uuid

from flows.engine.codec import outbound_from_json, outbound_to_json
from flows.engine.messages import Choice, ConversationKey, Msg, Outbound
from flows.engine.records import Effect, Officer
from flows.engine.turn import Turn

NOTIFY = "notify"
HALL_CHANGED = "hall_changed"


def notify(
    key: ConversationKey,
    language: str,
    texts: list[Msg],
    idem: str,
    choices: tuple[Choice, ...] = (),
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
    return Effect(NOTIFY, effect_key, {"outbound": outbound_to_json(out)})


def outbound_of(effect: Effect) -> Outbound:
    return outbound_from_json(effect.payload["outbound"])


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
    for key in keys:
        turn.unit.effects.append(notify(key, language, texts, idem, choices))
    return bool(keys)


async def notify_officers(turn: Turn, hall: str, texts: list[Msg], idem: str) -> None:
    officers: list[Officer] = await turn.env.store.officers(hall)
    for officer in officers:
        if officer.active and officer.channel and officer.user_key:
            key = ConversationKey(officer.channel, officer.user_key)
            conv = await turn.env.store.load_conversation(key)
            language = (conv.language if conv else None) or "sr-Cyrl"
            turn.unit.effects.append(notify(key, language, texts, idem))


def hall_changed(hall: str) -> Effect:
    return Effect(HALL_CHANGED, f"hall:{uuid.uuid4().hex}", {"hall": hall})
