"""Officers enroll in the chat with a one-time code; wrong codes are throttled.

A chat that types wrong codes waits longer and longer (flows/domain/throttle.py), and so
does everyone when many chats do. The count lives in the store and is written by the
message's unit, on the count the turn read, so it holds across messages, chats and server
processes. Every refused attempt is audited, never with the code typed.
"""

from __future__ import annotations

import hashlib
import secrets

from flows.conversations.booking import hall_label
from flows.conversations.checks import INVITE_CODE_LENGTH
from flows.domain import throttle
from flows.domain.refcode import ALPHABET
from flows.engine.flow import END, Flow, action, ask
from flows.engine.messages import ConversationKey, Expect
from flows.engine.ports import InviteGone, StoreError
from flows.engine.records import AuditEntry, Enrollment, Officer, Throttle, ThrottleChange
from flows.engine.turn import Parts, Turn

EVERYONE = "everyone"
FAILED = "enroll_failed"

ENROLL = Flow(
    name="enroll",
    steps=(
        ask("code", "code", "code", Expect.CODE, on={"ok": "redeem"}, skip_when="code_given"),
        action("redeem", "redeem_invite", on={"ok": END, "refused": END}),
    ),
)


def new_invite_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(INVITE_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def invite_hash(code: str) -> str:
    """Codes are random (about 59 bits), so a plain SHA-256 of the normal form is enough."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def chat_scope(key: ConversationKey) -> str:
    """The chat's throttle, known by a hash: the count needs no chat id in clear."""
    digest = hashlib.sha256(f"{key.channel}\0{key.user_key}".encode()).hexdigest()
    return f"chat:{digest[:32]}"


def _failure(turn: Turn, read: Throttle, free_tries: int) -> int:
    """Counts one more wrong code on the scope as read; returns the count."""
    now = turn.env.clock()
    failures = throttle.counted(read.failures, read.last_at, now) + 1
    until = now + throttle.wait_after(failures, free_tries)
    turn.unit.throttles.append(ThrottleChange(read, failures, now, until))
    return failures


def _audit_failure(turn: Turn, detail: str) -> None:
    turn.unit.audit.append(AuditEntry(f"chat:{turn.conv.key.channel}", FAILED, detail=detail))


async def redeem(turn: Turn) -> str:
    now = turn.env.clock()
    store = turn.env.store
    mine = await store.throttle(chat_scope(turn.conv.key))
    everyone = await store.throttle(EVERYONE)
    wait = max(
        throttle.minutes_left(mine.blocked_until, now),
        throttle.minutes_left(everyone.blocked_until, now),
    )
    if wait:  # the code is not even looked at
        _audit_failure(turn, "waiting")
        turn.say("enroll.wait", minutes=str(wait))
        return "refused"
    code_hash = invite_hash(str(turn.conv.slots.get("code", "")))
    invite = await store.invite(code_hash)
    if invite is None or invite.expires_at <= now:
        in_a_row = _failure(turn, mine, throttle.CHAT_FREE_TRIES)
        _failure(turn, everyone, throttle.EVERYONE_FREE_TRIES)
        _audit_failure(turn, f"wrong code, {in_a_row} in a row")
        turn.say("enroll.refused")
        return "refused"
    # the store deletes the invite, enrolls the chat and audits it (with the officer's id,
    # known only then) as this message's unit commits
    turn.unit.enrollments.append(
        Enrollment(code_hash, turn.conv.key, now, invite.name, invite.hall, invite.supervisor)
    )
    if mine.last_at is not None:
        turn.unit.throttles.append(ThrottleChange(mine, 0, now, now))  # a clean slate
    turn.on_refusal = _invite_gone
    turn.officer = Officer(
        id=0,  # not known before the commit; nothing in this turn needs it
        name=invite.name,
        hall=invite.hall,
        counter=None,
        channel=turn.conv.key.channel,
        user_key=turn.conv.key.user_key,
        active=True,
        created_at=now,
        supervisor=invite.supervisor,
    )
    turn.officer_loaded = True
    turn.conv.slots["_officer"] = True
    hall = turn.env.hall(invite.hall)
    turn.say("enroll.done", name=invite.name, hall=hall_label(hall) if hall else invite.hall)
    return "ok"


async def _invite_gone(turn: Turn, refusal: StoreError) -> None:
    """The code was used by someone else (or ran out) between our read and our write."""
    if isinstance(refusal, InviteGone):
        turn.conv.slots.pop("_officer", None)
        turn.say("enroll.refused")


PARTS = Parts(
    actions={"redeem_invite": redeem},
    predicates={"code_given": lambda turn: bool(turn.conv.slots.get("code"))},
)
