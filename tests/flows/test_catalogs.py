"""Every message the product can show exists in all three languages, and Latin is current."""

from __future__ import annotations

import re
import string
from pathlib import Path

import cyrtranslit
import pytest
from babel.messages.pofile import read_po

from flows.conversations.assembly import FLOWS
from flows.conversations.officer import REASONS as REJECT_REASONS
from flows.domain import email, idcard, jmbg, names, phone, refcode, textinput
from flows.domain.lifecycle import RegistrationStatus
from flows.engine import i18n
from flows.engine.records import PrintStatus
from kiosk.screens import KIOSK_WORDS
from printing.job import ACCOUNTS_UNAVAILABLE
from printing.status import Condition

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(
    r"""(?:Msg(?:\.of)?|say|Choice\([^,]+,\s*Msg)\(\s*["']([a-z_]+\.[\w.\-]+)["']"""
)


def used_keys() -> set[str]:
    keys: set[str] = set()
    for flow in FLOWS:
        for step in flow.steps:
            keys |= {k for k in (step.prompt, step.help) if k}
            keys |= {o.label for o in step.options}
    for path in (ROOT / "flows").glob("*.py"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    for field, module in (
        ("jmbg", jmbg),
        ("name", names),
        ("phone", phone),
        ("email", email),
        ("id_number", idcard),
        ("ref", refcode),
    ):
        keys |= {f"invalid.{field}.{r}" for r in module.REASONS if r != "too_young"}
    keys |= {f"invalid.input.{r}" for r in textinput.REASONS}
    keys |= {f"jmbg.region.{where}" for where in jmbg.REGION_KEYS}
    keys |= {f"status.{s}" for s in RegistrationStatus} | {f"reject.{r}" for r in REJECT_REASONS}
    keys |= {f"officer.status.{s}" for s in RegistrationStatus}  # officers' own words
    keys |= set(KIOSK_WORDS.values()) | {"officer.badge.ticket", "officer.badge.reference"}
    keys |= {f"weekday.{d}" for d in range(7)} | {f"language.{lang}" for lang in i18n.LANGUAGES}
    keys |= {f"summary.edit_{f}" for f in FLOWS[0].editable}
    keys |= {
        "menu.register",
        "menu.status",
        "menu.guide",
        "menu.checkin",
        "menu.ticket",
        "menu.officer",
        "menu.language",
        "invalid.choose",
        "invalid.yes_no",
        "invalid.unsupported",
        "invalid.code.length",
        "help.general",
        "cancelled",
    }
    keys |= {
        f"cancelled.{f}"
        for f in ("registration", "status", "checkin", "ticket", "officer", "enroll")
    }
    keys |= {
        f"officer.{o}"
        for o in (
            "approve",
            "reject",
            "release",
            "waiting",
            "open",
            "call_next",
            "queue",
            "counter",
            "printers",
            "held",
            "leave",
        )
    }
    keys |= {f"queue.{q}" for q in ("recall", "served", "no_show", "transfer", "open_ticket")}
    keys |= {f"printing.status.{s}" for s in PrintStatus}
    keys |= {f"printing.slip.{s}" for s in ("ticket", "receipt", "credentials")}
    keys |= {f"printer.{c}" for c in Condition if c not in (Condition.ONLINE, Condition.UNKNOWN)}
    keys |= {f"printer.{ACCOUNTS_UNAVAILABLE}"}
    return keys


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_message_key_is_missing(language: str) -> None:
    missing = sorted(used_keys() - i18n.keys(language))
    assert missing == []


@pytest.mark.parametrize("language", ["sr-Latn", "en"])
def test_every_language_has_every_master_key_with_the_same_placeholders(language: str) -> None:
    master = i18n._table("sr-Cyrl")
    other = i18n._table(language)
    assert set(master) == set(other)
    fields = string.Formatter()
    for key, text in master.items():
        mine = {f for _, f, _, _ in fields.parse(text) if f}
        theirs = {f for _, f, _, _ in fields.parse(other[key]) if f}
        if key.startswith(("hall.label", "guide.title", "guide.needs")):
            continue  # English deliberately uses the English value of the same record
        assert mine == theirs, key


def test_serbian_latin_is_generated_from_the_cyrillic_master(tmp_path: Path) -> None:
    for src in sorted((i18n.LOCALE_DIR / "sr_Cyrl").glob("*.po")):
        with src.open("rb") as f:
            master = {m.id: m.string for m in read_po(f) if m.id}
        with (i18n.LOCALE_DIR / "sr_Latn" / src.name).open("rb") as f:
            latin = {m.id: m.string for m in read_po(f) if m.id}
        expected = {k: i18n.latin_entry(str(v)) for k, v in master.items()}
        assert latin == expected, f"run `make catalogs`: {src.name} is out of date"


def test_transliteration_shields_urls_addresses_and_codes() -> None:
    text = "Пријава K7M4-PX9N: https://euprava.gov.rs/Пут и помоћ@ite.gov.rs, {name}"
    latin = i18n.to_latin(text)
    assert latin.startswith("Prijava K7M4-PX9N: https://euprava.gov.rs/Пут")
    assert "{name}" in latin
    assert i18n.to_latin("Љиљана Њега Џ") == "Ljiljana Njega Dž"


def test_every_serbian_letter_reads_as_the_transliteration_library_writes_it() -> None:
    alphabet = "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ"
    for text in (alphabet, alphabet.lower(), "Ђорђе Петровић, Шабац 12", "ЉУБИЦА Њ"):
        assert i18n.to_latin(text) == cyrtranslit.to_latin(text, "sr")
