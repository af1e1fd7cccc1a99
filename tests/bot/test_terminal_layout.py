"""The terminal lays a reply out as the web chat does: what the paragraphs speak of (the
ticket, the QR link) under them, and the question right above its numbered choices."""

from __future__ import annotations

from collections.abc import Callable

from bot.terminal import render_outbound
from tests.dialogue import Chat
from tests.flows.test_citizen_dialogue import register_at_kiosk


async def test_the_question_stands_right_above_its_choices(chat: Callable[..., Chat]) -> None:
    kiosk = chat("kg:s1", channel="kiosk")
    await register_at_kiosk(kiosk)
    lines = render_outbound(kiosk.last).splitlines()
    first_choice = lines.index("  1) Постани еГрађанин")
    assert lines[first_choice - 1] == "Шта желите да урадите?"
    assert lines[first_choice - 2] == "[ A001 ]"  # under the text that tells of it
    assert lines[0].startswith("Ваш редни број је A001")
