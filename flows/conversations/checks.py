"""The checks ASK steps name, each a thin adapter over a domain rule.

A refusal's reason is prefixed with the field ("jmbg.checksum"), so the engine answers
with the message "invalid.jmbg.checksum": what failed and what a valid answer looks like.
"""

from __future__ import annotations

from flows.domain.email import parse_email
from flows.domain.idcard import parse_id_number
from flows.domain.jmbg import old_enough, parse_jmbg
from flows.domain.names import parse_name
from flows.domain.phone import parse_phone
from flows.domain.refcode import parse_ref
from flows.domain.textinput import Invalid
from flows.engine.turn import Outcome, Parts, Turn


def _field(name: str, refusal: Invalid) -> Invalid:
    return Invalid(f"{name}.{refusal.reason}", refusal.values)


def check_name(raw: str, turn: Turn) -> str | Invalid:
    result = parse_name(raw)
    return _field("name", result) if isinstance(result, Invalid) else result


def check_jmbg(raw: str, turn: Turn) -> str | Invalid | Outcome:
    today = turn.env.clock().date()
    result = parse_jmbg(raw, today)
    if isinstance(result, Invalid):
        return _field("jmbg", result)
    if not old_enough(result, today):
        return Outcome("too_young")
    return result.value


def check_id_number(raw: str, turn: Turn) -> str | Invalid:
    result = parse_id_number(raw)
    return _field("id_number", result) if isinstance(result, Invalid) else result


def check_phone(raw: str, turn: Turn) -> str | Invalid:
    result = parse_phone(raw)
    return _field("phone", result) if isinstance(result, Invalid) else result.e164


def check_email(raw: str, turn: Turn) -> str | Invalid:
    result = parse_email(raw)
    return _field("email", result) if isinstance(result, Invalid) else result


def check_ref(raw: str, turn: Turn) -> str | Invalid:
    result = parse_ref(raw)
    return _field("ref", result) if isinstance(result, Invalid) else result


def check_text(raw: str, turn: Turn) -> str | Invalid:
    """Free text already bounded and cleaned by the step (e.g. a rejection reason)."""
    return raw


INVITE_CODE_LENGTH = 12  # an officer's enrollment code, shown as ABCD-EFGH-JKMN


def check_code(raw: str, turn: Turn) -> str | Invalid:
    """An officer's enrollment code: letters and digits, spaces and hyphens ignored."""
    code = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(code) != INVITE_CODE_LENGTH:
        return Invalid("code.length", (("typed", str(len(code))),))
    return code


PARTS = Parts(
    checks={
        "name": check_name,
        "jmbg": check_jmbg,
        "id_number": check_id_number,
        "phone": check_phone,
        "email": check_email,
        "ref": check_ref,
        "text": check_text,
        "code": check_code,
    }
)
