"""A look at the status or the guide in the middle of a registration keeps the draft."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.conftest import Clock
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import WORDS

CONTINUE = {"sr-Cyrl": "Настави пријаву", "sr-Latn": "Nastavi prijavu", "en": "Continue my"}
KEPT = {"sr-Cyrl": "сачувано", "sr-Latn": "sačuvano", "en": "everything you typed is kept"}


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_look_at_the_status_at_the_summary_keeps_everything_typed(
    chat: Callable[..., Chat], language: str
) -> None:
    words = WORDS[language]
    ana = chat("ana")
    await ana.reaches_the_summary(words)

    await ana.says("/status")
    assert KEPT[language] in ana.text  # nothing is sent yet, and nothing is lost
    await ana.picks(CONTINUE[language])
    assert words["summary"] in ana.text and "0512981717776" in ana.text
    await ana.picks(words["submit"])
    assert words["done"] in ana.text


async def test_the_guide_in_the_middle_of_the_questions_then_back_to_the_same_question(
    chat: Callable[..., Chat],
) -> None:
    words = WORDS["sr-Cyrl"]
    ana = chat("ana")
    await ana.begins_registration(words)
    await ana.answers("Ана", "Петровић")
    assert "ЈМБГ" in ana.text

    await ana.says("/guide")
    await ana.says("/cancel")
    assert "сачувано" in ana.text
    assert "Постани еГрађанин" not in ana.text  # its place in the menu is the draft's
    await ana.picks("Настави пријаву")
    assert "Настављамо тамо где смо стали" in ana.text and "ЈМБГ" in ana.text
    await ana.says("0512981717776")
    assert "личне карте" in ana.text


async def test_starting_again_from_scratch_drops_the_draft_only_when_asked(
    app: App, chat: Callable[..., Chat]
) -> None:
    words = WORDS["en"]
    ana = chat("ana")
    await ana.reaches_the_summary(words)
    await ana.says("/guide")
    await ana.says("/cancel")
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.slots["_parked"]["slots"]["jmbg"] == "0512981717776"
    await ana.picks("Continue my")
    await ana.says("/cancel")  # the registration itself: now it goes, as /cancel says
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and "_parked" not in conv.slots and "jmbg" not in conv.slots
    assert "Continue my" not in ana.text


async def test_changing_the_visit_to_the_same_day_asks_the_time_again(
    chat: Callable[..., Chat],
) -> None:
    ana = chat("ana")
    await ana.reaches_the_summary(WORDS["sr-Cyrl"])
    assert "09:00" in ana.text
    await ana.picks("Промени термин")
    await ana.picks("уторак")  # the same day: she wants another time
    assert "У које време?" in ana.text
    await ana.picks("10:00")
    assert "Ваша пријава" in ana.text and "10:00" in ana.text


async def test_a_draft_set_aside_is_not_kept_longer_than_an_idle_conversation(
    chat: Callable[..., Chat], clock: Clock
) -> None:
    """Looking at the status every week keeps the chat in use; the draft with the JMBG
    in it is still dropped once it was set aside longer than the retention period."""
    words = WORDS["sr-Cyrl"]
    ana = chat("ana")
    await ana.reaches_the_summary(words)
    await ana.says("/status")
    for _ in range(4):
        clock.advance(days=7)
        await ana.says("/status")
        assert CONTINUE["sr-Cyrl"] in "\n".join(ana.choices)
    clock.advance(days=3)
    await ana.says("/status")
    assert CONTINUE["sr-Cyrl"] not in "\n".join(ana.choices)
    conv = await ana.app.store.load_conversation(ana.key)
    assert conv is not None and "0512981717776" not in str(conv.slots)
