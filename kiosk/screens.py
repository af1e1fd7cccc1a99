"""The engine's replies as kiosk screens: text rendered on the server, one screen per turn.

A turn may bring several Outbounds ("Thank you." then the next question); the kiosk shows
them as one screen: every paragraph, and the input of the last one. The browser gets
finished text in the citizen's language and never a message key or template.

A flow that ends with a queue number or a reference code ends on the result screen: the
result and what to do next, and only "Finish" (the menu the engine offers after it comes
with the next person). On the summary, the choices that go back to change an answer are
marked, so the page sets them apart from the main action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from flows.engine.i18n import render, text
from flows.engine.messages import DEFAULT_LANGUAGE, LANGUAGES, Command, Expect, Msg, Outbound
from kiosk.qr import qr_data_url

LANGUAGE_SCREEN = "kiosk.language"

# Each language is named in itself, so anyone finds theirs whatever is on screen now.
LANGUAGE_NAMES: dict[str, str] = {"sr-Cyrl": "Ћирилица", "sr-Latn": "Latinica", "en": "English"}

# Chrome around every screen (toolbar, keyboard, idle warning): message keys in kiosk.po.
UI_KEYS: tuple[str, ...] = (
    "kiosk.page.title",
    "kiosk.toolbar.label",
    "kiosk.language.switch",
    "kiosk.large_text",
    "kiosk.high_contrast",
    "kiosk.back",
    "kiosk.finish",
    "kiosk.submit",
    "kiosk.input.label",
    "kiosk.keyboard.label",
    "kiosk.keyboard.space",
    "kiosk.keyboard.delete",
    "kiosk.keyboard.shift",
    "kiosk.keyboard.cyrillic",
    "kiosk.keyboard.latin",
    "kiosk.keyboard.digits",
    "kiosk.idle.title",
    "kiosk.idle.body",
    "kiosk.idle.stay",
    "kiosk.idle.leave",
    "kiosk.result.reference",
    "kiosk.result.ticket",
    "kiosk.result.qr",
    "kiosk.result.qr_viber",
    "kiosk.busy",
    "kiosk.wiped",
    "kiosk.error.network",
    "kiosk.error.unavailable",
    "kiosk.error.refused",
    "kiosk.choices.label",
    "kiosk.changes.label",
)

# What the engine says for every channel, said the kiosk's own way: at a choice there is
# nothing to type, only buttons to tap.
KIOSK_WORDS: dict[str, str] = {"invalid.choose": "kiosk.invalid.choose"}

# The menu's question under a finished flow; the result screen has no menu to ask about.
MENU_PROMPT = "menu.prompt"
# Outcomes that go back from a summary to change one answer (flows.engine.flow.Flow.editable).
CHANGE_PREFIX = "edit_"

# Which on-screen keyboard a step opens with (the citizen can switch letters/digits).
_DIGIT_PADS = {Expect.PHONE: "phone", Expect.DIGITS: "digits", Expect.CODE: "code"}
_TYPED = frozenset(
    {Expect.TEXT, Expect.NAME, Expect.EMAIL, Expect.PHONE, Expect.DIGITS, Expect.CODE, Expect.SLOT}
)


def ui_texts(language: str) -> dict[str, str]:
    return dict(_ui_texts(language))


# Said on the language screen, which is already the next person's: in every language.
EVERY_LANGUAGE_KEYS = frozenset({"kiosk.wiped"})


@lru_cache(maxsize=8)
def _ui_texts(language: str) -> tuple[tuple[str, str], ...]:
    # Catalogs are read once per process, so the chrome of a language never changes.
    return tuple(
        (
            key.removeprefix("kiosk."),
            in_every_language(key) if key in EVERY_LANGUAGE_KEYS else text(key, language),
        )
        for key in UI_KEYS
    )


def in_every_language(key: str) -> str:
    """One text in each language, one per line, each as prominent as the others."""
    return "\n".join(dict.fromkeys(text(key, lang) for lang in LANGUAGES))


def keyboard_for(expect: Expect, language: str) -> str | None:
    if expect in _DIGIT_PADS:
        return _DIGIT_PADS[expect]
    if expect == Expect.EMAIL:
        return "email"
    if expect in (Expect.TEXT, Expect.NAME):
        return {"sr-Cyrl": "cyrillic", "sr-Latn": "latin"}.get(language, "qwerty")
    return None


def takes_typing(expect: Expect, choices: int) -> bool:
    # A slot step with buttons is answered by tapping; without, by typing a date.
    return expect in _TYPED and not (expect == Expect.SLOT and choices)


def _in_kiosk_words(msg: Msg) -> Msg:
    key = KIOSK_WORDS.get(msg.key)
    return msg if key is None else Msg(key, msg.values)


def language_screen(notice: str | None = None) -> dict[str, Any]:
    return {
        "name": LANGUAGE_SCREEN,
        "language": DEFAULT_LANGUAGE,
        "paragraphs": [in_every_language("kiosk.language.prompt")],
        "choices": [
            {
                "id": f"language.{lang}",
                "label": LANGUAGE_NAMES[lang],
                "command": Command.LANGUAGE.value,
                "payload": lang,
                "lang": lang,
            }
            for lang in LANGUAGES
        ],
        "expect": Expect.CHOICE.value,
        "input": False,
        "keyboard": None,
        "qr": None,
        "qr_caption": "result.qr",
        "qr_viber": None,
        "reference": None,
        "ticket": None,
        "end": False,
        "result": False,
        "notice": notice,
        "slip": None,
    }


async def screen_off_loop(
    replies: Sequence[Outbound], language: str | None, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """screen_from for a request: a screen with a QR code is made in a thread, since
    drawing the code takes milliseconds of CPU (more than the rest of the request), and
    every other kiosk of the server would wait that long on the event loop."""
    if any(out.qr for out in replies):
        return await asyncio.to_thread(screen_from, replies, language, leave_out)
    return screen_from(replies, language, leave_out)


def screen_from(
    replies: Sequence[Outbound], language: str | None, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One screen from a turn's replies (the last reply decides the input); messages
    whose key is in `leave_out` are not shown (the kiosk says the same its own way)."""
    last = replies[-1]
    lang = last.language or language or DEFAULT_LANGUAGE
    reference = next((out.reference for out in replies if out.reference), None)
    ticket = next((out.ticket for out in replies if out.ticket), None)
    end = any(out.end for out in replies)
    result = end and bool(reference or ticket)
    if result:
        leave_out = leave_out | {MENU_PROMPT}
    paragraphs = [
        render(_in_kiosk_words(m), out.language or lang)
        for out in replies
        for m in out.text
        if m.key not in leave_out
    ]
    asking = next((out for out in reversed(replies) if out.choices), None)
    # A closing note after a question ("You can go back any time.") keeps its buttons.
    keeps = asking is not None and (asking is last or last.expect == Expect.NOTHING)
    choices = asking.choices if asking is not None and keeps and not result else ()
    qr, links = next(((out.qr, out.extras) for out in replies if out.qr), (None, {}))
    viber = links.get("link.viber")
    return {
        "name": last.screen,
        "language": lang,
        "paragraphs": paragraphs,
        "choices": [_choice(c.id, render(c.label, lang)) for c in choices],
        "expect": last.expect.value,
        "input": takes_typing(last.expect, len(choices)),
        "keyboard": keyboard_for(last.expect, lang),
        "answer": last.answer if takes_typing(last.expect, len(choices)) else None,
        "qr": qr_data_url(qr) if qr else None,
        # which messenger the code opens; with both configured, Viber's comes second
        "qr_caption": "result.qr_viber" if qr and qr.startswith("viber:") else "result.qr",
        "qr_viber": qr_data_url(viber) if viber and viber != qr else None,
        "reference": reference,
        "ticket": ticket,
        "end": end,
        "result": result,
        "notice": None,
        "slip": None,  # what became of the slip, filled in per answer (kiosk.slipnote)
    }


def _choice(id_: str, label: str) -> dict[str, Any]:
    if id_.startswith(CHANGE_PREFIX):
        return {"id": id_, "label": label, "change": True}
    return {"id": id_, "label": label}
