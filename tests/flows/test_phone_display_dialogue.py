"""A phone number reads the same wherever it is shown: as the question's example writes it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.dialogue import Chat
from tests.flows.test_officer_dialogue import enrolled
from tests.flows.test_registration_dialogue import WORDS, register

EXAMPLE = re.compile(r"\b0\d\d \d{3} \d{4}\b")


async def up_to_the_phone(ana: Chat, words: dict[str, str]) -> str:
    """Registration up to the phone question; returns the question as Ana reads it."""
    await ana.begins_registration(words)
    return await ana.answers("ана-марија", "ПЕТРОВИЋ", "0512981717776", "012345678")


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_the_summary_writes_the_phone_as_the_question_s_example_does(
    chat: Callable[..., Chat], language: str
) -> None:
    words = WORDS[language]
    ana = chat("ana")
    question = await up_to_the_phone(ana, words)
    example = EXAMPLE.search(question)
    assert example is not None, question  # the question shows what a number looks like
    assert example.group(0) == "064 123 4567"
    await ana.says("+381641234567")  # typed another way: shown the example's way
    await ana.picks(words["skip"])
    await ana.picks(words["hall"])
    await ana.picks(words["day"])
    summary = await ana.picks("09:00")
    assert words["summary"] in summary
    assert "064 123 4567" in summary
    assert "064 1234567" not in summary and "+381" not in summary


async def test_the_officer_reads_the_phone_the_same_way(
    app: App, chat: Callable[..., Chat]
) -> None:
    ref = await register(chat("ana"), WORDS["sr-Cyrl"])
    mira = await enrolled(app, chat, "Мира")
    await mira.picks("Пријаве на чекању")
    review = await mira.picks(ref)
    assert "Мобилни: 064 123 4567" in review
    assert "+381641234567" not in review
