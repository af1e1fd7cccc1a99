"""The identity document a person brings to the counter: a biometric ID card or a passport.

The eID portal accepts either (https://eid.gov.rs/sr-Latn-RS/sta-je-egradjanin). The
registration asks for the ID card's number and offers "Passport" instead; whichever step
takes the number also records which document it is. The number is compared at the counter
and never printed or logged.
"""

from __future__ import annotations

from flows.conversations.checks import check_id_number
from flows.domain.passport import parse_passport_number
from flows.domain.textinput import Invalid
from flows.engine.flow import Option
from flows.engine.messages import Msg
from flows.engine.turn import Parts, Turn

ID_CARD = "id_card"
PASSPORT = "passport"
DOCUMENTS: tuple[str, ...] = (ID_CARD, PASSPORT)
SLOT = "document"

# what the number steps offer besides typing the number
USE_PASSPORT = Option(PASSPORT, "document.use_passport")
USE_ID_CARD = Option(ID_CARD, "document.use_id_card")


def document_of(value: object) -> str:
    return value if isinstance(value, str) and value in DOCUMENTS else ID_CARD


def number_label(document: object) -> Msg:
    """ "ID card number" / "Passport number", for summaries and the officer's review."""
    return Msg(f"document.number.{document_of(document)}")


def compare_with(document: object) -> Msg:
    """What the officer compares the data with, in words."""
    return Msg(f"document.compare.{document_of(document)}")


def bring(document: object) -> str:
    """The message key telling what to bring to the counter."""
    return "reg.bring_passport" if document_of(document) == PASSPORT else "reg.bring"


def check_id_card_number(raw: str, turn: Turn) -> str | Invalid:
    """The ID card's number (flows.conversations.checks), and that the ID card is the document."""
    result = check_id_number(raw, turn)
    if not isinstance(result, Invalid):
        turn.conv.slots[SLOT] = ID_CARD
    return result


def check_passport_number(raw: str, turn: Turn) -> str | Invalid:
    result = parse_passport_number(raw)
    if isinstance(result, Invalid):
        return Invalid(f"passport_number.{result.reason}", result.values)
    turn.conv.slots[SLOT] = PASSPORT
    return result


PARTS = Parts(
    checks={"id_card_number": check_id_card_number, "passport_number": check_passport_number},
    predicates={
        "brings_passport": lambda turn: document_of(turn.conv.slots.get(SLOT)) == PASSPORT,
        "brings_id_card": lambda turn: document_of(turn.conv.slots.get(SLOT)) == ID_CARD,
    },
)
