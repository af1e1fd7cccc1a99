"""Every refusal names a reason the engine has a message for ("invalid.<field>.<reason>")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain import email, idcard, jmbg, names, phone, refcode, textinput
from flows.domain.textinput import Invalid

CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
TODAY = date(2025, 6, 1)

PARSERS: list[tuple[ModuleType, Callable[[str], object]]] = [
    (jmbg, lambda raw: jmbg.parse_jmbg(raw, TODAY)),
    (names, names.parse_name),
    (phone, phone.parse_phone),
    (email, email.parse_email),
    (idcard, idcard.parse_id_number),
    (refcode, refcode.parse_ref),
    (textinput, lambda raw: textinput.clean_input(raw, 30)),
]
IDS = [module.__name__.rsplit(".", 1)[1] for module, _ in PARSERS]


@pytest.mark.parametrize(("module", "parse"), PARSERS, ids=IDS)
def test_reason_codes_are_short_unique_snake_case(
    module: ModuleType, parse: Callable[[str], object]
) -> None:
    reasons: tuple[str, ...] = module.REASONS
    assert reasons
    assert len(set(reasons)) == len(reasons)
    assert all(CODE.fullmatch(r) and len(r) <= 20 for r in reasons)


# Text a person might send to any question: digits, letters of both scripts, punctuation,
# invisible and control characters, and anything else.
answers = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789 +-/()", max_size=20),
    st.text(alphabet="abcABCабвАБВ@.-'’ \u200b\u202e\x00", max_size=20),
)


@pytest.mark.parametrize(("module", "parse"), PARSERS, ids=IDS)
@given(raw=answers)
def test_every_refusal_uses_a_listed_reason(
    module: ModuleType, parse: Callable[[str], object], raw: str
) -> None:
    result = parse(raw)
    if isinstance(result, Invalid):
        assert result.reason in module.REASONS
        # Placeholders carry limits, examples and how many characters or digits were typed,
        # never what was typed: safe to log.
        values = result.as_dict()
        assert set(values) <= {"min", "max", "min_age", "example", "typed"}
        assert values.get("typed", "0").isdigit()
