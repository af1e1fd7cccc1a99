"""E-mail addresses: syntax checked and normalised, never looked up."""

from __future__ import annotations

import pytest

from flows.domain.email import MAX_LEN, parse_email
from flows.domain.textinput import Invalid


def address_of_length(n: int) -> str:
    """A well-formed address exactly n characters long (64-character local part)."""
    local = "a" * 64
    rest = n - len(local) - 1 - len(".rs")
    labels = []
    while rest > 0:
        size = min(63, rest)
        labels.append("b" * size)
        rest -= size + 1
    domain = ".".join(labels)
    address = f"{local}@{domain}.rs"
    assert len(address) == n
    return address


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("marko@example.rs", "marko@example.rs", id="plain"),
        pytest.param(
            "  Marko.Markovic@Gmail.COM ", "Marko.Markovic@gmail.com", id="domain-lowered"
        ),
        pytest.param("ivan@mup.gov.rs", "ivan@mup.gov.rs", id="subdomain"),
        pytest.param("marko+kiosk@example.rs", "marko+kiosk@example.rs", id="plus-tag"),
        pytest.param("marko@пример.срб", "marko@пример.срб", id="cyrillic-domain"),
        pytest.param("marko\u200b@example.rs", "marko@example.rs", id="zero-width-dropped"),
        pytest.param(address_of_length(MAX_LEN), address_of_length(MAX_LEN), id="254-chars"),
    ],
)
def test_addresses_are_kept_normalised(raw: str, kept: str) -> None:
    assert parse_email(raw) == kept


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "format", id="empty"),
        pytest.param("marko", "format", id="no-at"),
        pytest.param("marko@", "format", id="no-domain"),
        pytest.param("@example.rs", "format", id="no-local-part"),
        pytest.param("marko@localhost", "format", id="no-dot-in-domain"),
        pytest.param("marko@example", "format", id="bare-name"),
        pytest.param("marko@example.invalid", "format", id="reserved-domain"),
        pytest.param("Marko <marko@example.rs>", "format", id="display-name"),
        pytest.param("marko..m@example.rs", "format", id="two-dots"),
        pytest.param("marko m@example.rs", "format", id="space-inside"),
        pytest.param("marko@example.rs, ana@example.rs", "format", id="two-addresses"),
        pytest.param("марко@example.rs", "latin_only", id="cyrillic-keyboard"),
        pytest.param("марко@пример.срб", "latin_only", id="all-cyrillic"),
    ],
)
def test_other_text_is_refused_with_the_reason(raw: str, reason: str) -> None:
    assert parse_email(raw) == Invalid(reason)


def test_addresses_longer_than_254_are_refused() -> None:
    assert parse_email(address_of_length(MAX_LEN + 1)) == Invalid(
        "too_long", (("max", "254"), ("typed", "255"))
    )
