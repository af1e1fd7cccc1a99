"""Notification effects: messages nobody is waiting for, delivered later by the outbox.

The payload carries a whole Outbound as JSON, so the delivery worker needs nothing but
the channel to send it through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flows.engine.codec import outbound_from_json, outbound_to_json
from flows.engine.messages import DEFAULT_LANGUAGE, Choice, ConversationKey, Msg, Outbound
from flows.engine.ports import StoreReader
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


async def chat_language(store: StoreReader, key: ConversationKey) -> str:
    """The language the chat last spoke (the default one for a chat that never did)."""
    conv = await store.load_conversation(key)
    return (conv.language if conv else None) or DEFAULT_LANGUAGE


def reachable(officer: Officer) -> bool:
    """An officer who may be told things, in the chat they enrolled from."""
    return bool(officer.active and officer.channel and officer.user_key)


async def officer_notices(
    store: StoreReader, officers: Iterable[Officer], texts: list[Msg], idem: str
) -> list[Effect]:
    """The notification to each reachable officer, in their chat's language."""
    effects = []
    for officer in filter(reachable, officers):
        key = ConversationKey(officer.channel or "", officer.user_key or "")
        effects.append(notify(key, await chat_language(store, key), texts, idem))
    return effects


async def notify_officers(turn: Turn, hall: str, texts: list[Msg], idem: str) -> None:
    officers = await turn.env.store.officers(hall)
    turn.unit.effects += await officer_notices(turn.env.store, officers, texts, idem)


def hall_changed(hall: str) -> Effect:
    return Effect(HALL_CHANGED, f"hall:{uuid.uuid4().hex}", {"hall": hall})
