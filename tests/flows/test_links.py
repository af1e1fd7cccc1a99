"""Deep-link payloads: what Telegram accepts, and nothing forged or expired gets through."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from flows.domain.deep_links import LinkSigner
from flows.domain.refcode import new_ref

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SIGNER = LinkSigner(b"a secret of at least sixteen bytes")


@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=365))
def test_every_payload_fits_telegram_and_verifies(rand: random.Random, days: int) -> None:
    ref = new_ref(rand)
    payload = SIGNER.sign(ref, NOW + timedelta(days=days))
    assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
    assert SIGNER.verify(payload, NOW) == ref.replace("-", "")
    assert SIGNER.verify(payload, NOW + timedelta(days=days + 1)) is None


@given(st.integers(min_value=0, max_value=28), st.characters(whitelist_categories=["Lu", "Nd"]))
def test_any_changed_character_is_refused(position: int, replacement: str) -> None:
    payload = SIGNER.sign("K7M4-PX9N", NOW + timedelta(days=30))
    forged = payload[:position] + replacement + payload[position + 1 :]
    if forged != payload:
        assert SIGNER.verify(forged, NOW) is None


def test_another_deployments_secret_is_refused() -> None:
    payload = LinkSigner(b"another secret, sixteen bytes+").sign("K7M4-PX9N", NOW + timedelta(1))
    assert SIGNER.verify(payload, NOW) is None
