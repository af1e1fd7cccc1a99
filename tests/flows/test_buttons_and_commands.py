"""Old buttons and unknown commands: told what happened, shown where we are, nothing lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecitizen.app import App
from tests.dialogue import Chat
from tests.flows.test_registration_dialogue import WORDS

STALE = {
    "sr-Cyrl": "То дугме припада ранијем питању",
    "sr-Latn": "To dugme pripada ranijem pitanju",
    "en": "That button belongs to an earlier question",
}
UNKNOWN = {
    "sr-Cyrl": "Не познајем наредбу /foo",
    "sr-Latn": "Ne poznajem naredbu /foo",
    "en": "I do not know the command /foo",
}
JMBG = {"sr-Cyrl": "ЈМБГ", "sr-Latn": "JMBG", "en": "JMBG"}


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_a_button_of_an_earlier_question_is_no_longer_valid_and_the_question_comes_again(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    words = WORDS[language]
    ana = chat("ana")
    await ana.says("/start")
    await ana.picks(words["language"])
    menu = ana.last
    await ana.picks(words["register"])
    consent_intro = ana.last
    await ana.picks(words["continue"])
    await ana.picks(words["yes"])
    await ana.answers("Ана", "Петровић")
    assert JMBG[language] in ana.text

    reply = await ana.presses_on(consent_intro, words["continue"])
    assert STALE[language] in reply and JMBG[language] in reply
    reply = await ana.presses_on(menu, words["register"])  # the menu: also the question now
    assert STALE[language] in reply and JMBG[language] in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.failures == 0  # an old button is not a failed try
    assert conv.slots["last_name"] == "Петровић"


@pytest.mark.parametrize("language", ["sr-Cyrl", "sr-Latn", "en"])
async def test_an_unknown_command_is_said_to_be_one_not_taken_for_an_answer(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    words = WORDS[language]
    ana = chat("ana")
    await ana.begins_registration(words)
    await ana.answers("Ана", "Петровић")

    reply = await ana.says("/foo")
    assert UNKNOWN[language] in reply and "/help" in reply and JMBG[language] in reply
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.state == "jmbg" and conv.failures == 0
    assert "0512981717776" not in reply
    await ana.says("0512981717776")
    conv = await app.store.load_conversation(ana.key)
    assert conv is not None and conv.slots["jmbg"] == "0512981717776"


async def test_an_unknown_command_in_the_menu_lists_help(chat: Callable[..., Chat]) -> None:
    ana = chat("ana")
    await ana.says("/start")
    await ana.picks("English")
    reply = await ana.says("/register")
    assert "I do not know the command /register" in reply and "Become an eCitizen" in reply


async def test_help_names_every_command_that_works_at_every_step(
    chat: Callable[..., Chat],
) -> None:
    """The commands Telegram's menu offers are the ones /help tells about, in every chat."""
    ana = chat("ana")
    await ana.says("/start")
    await ana.picks("English")
    helped = await ana.says("/help")
    for command in ("/start", "/back", "/cancel", "/help", "/language", "/restart"):
        assert command in helped
    assert "/status my registration" in helped and "/guide what I can do" in helped
