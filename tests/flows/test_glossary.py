"""A small glossary over every catalog: one name per language for each thing people meet.

The queue ticket is "ticket" in English and "редни број" in Serbian, never a synonym next
to it ("queue number", "ticket number"); in Serbian the counter hall is a "шалтерска сала",
never a bare "шалтер" (which is one counter in it) nor a "шалтер сала".
"""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from flows.engine import i18n
from flows.engine.i18n import to_latin

# per language: the term, and patterns that name the same thing another way
TICKET: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": (
        "ticket",
        (r"queue number", r"ticket number", r"number in the queue", r"your number", r"queue no"),
    ),
    "sr-Cyrl": ("редни број", (r"тикет", r"број у реду", r"број чекања", r"број за чекање")),
}
TICKET["sr-Latn"] = (to_latin(TICKET["sr-Cyrl"][0]), tuple(map(to_latin, TICKET["sr-Cyrl"][1])))
# the messages about a queue ticket, which must use the term
ABOUT_TICKETS = (
    "menu.ticket",
    "ask.service",
    "ticket.issued",
    "kiosk.result.ticket",
    "kiosk.slip.item.ticket",
    "slip.ticket.your_number",
    "printing.slip.ticket",
)
# a bare counter ("шалтер") standing for the hall: "Шалтер: {hall}", "Промени шалтер";
# or the hall named another way than "шалтерска сала"
HALL_NAMED_OTHERWISE = re.compile(
    r"шалтер[уа]?:? „?\{hall\}|промени шалтер\b|шалтер сал", re.IGNORECASE
)


def messages(language: str) -> dict[str, str]:
    """Every message of every catalog file of the language, by key."""
    found: dict[str, str] = {}
    for path in sorted((i18n.LOCALE_DIR / language.replace("-", "_")).glob("*.po")):
        with path.open("rb") as f:
            found.update({str(m.id): str(m.string) for m in read_po(f) if m.id})
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_queue_ticket_has_one_name_in_every_catalog(language: str) -> None:
    term, synonyms = TICKET[language]
    texts = messages(language)
    used = {
        key: pattern
        for key, text in texts.items()
        for pattern in synonyms
        if re.search(pattern, text, re.IGNORECASE)
    }
    assert used == {}, f"{language}: say “{term}” instead"
    unnamed = [key for key in ABOUT_TICKETS if term not in texts[key].lower()]
    assert unnamed == [], f"{language}: these speak of the ticket without “{term}”"


def test_the_counter_hall_is_never_a_bare_counter_in_serbian() -> None:
    texts = messages("sr-Cyrl")
    otherwise = {key: text for key, text in texts.items() if HALL_NAMED_OTHERWISE.search(text)}
    assert otherwise == {}
    for key in ("summary.edit_hall", "ask.hall", "reg.done", "summary.body", "enroll.done"):
        assert "шалтерск" in texts[key].lower(), key
