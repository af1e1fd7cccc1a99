"""How each slip is laid out: what a slip says (flows/conversations/slips.py) as a document
of lines, QR codes and rules, for any printer (printing/layout.py fits it to one).

Every slip has the hall's name and address at the top, its title in double size, what it
is about, the QR code(s) it offers with the words that say what each opens, and at the
bottom when it was printed, then the cut.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.conversations.slips import (
    ACTIVATE_STEPS,
    LOGIN_STEPS,
    CredentialsSlip,
    HallInfo,
    ReceiptSlip,
    Slip,
    TicketSlip,
    slip_content,
)
from flows.engine.i18n import normalize_language, text
from printing.document import Align, Block, Cut, Document, Feed, QrCode, Rule, Size, labelled, line


def ticket_document(slip: TicketSlip) -> Document:
    """The number in large type, how many are ahead, and a QR code that opens the chat to
    follow the queue on the phone (both messengers' when both are configured)."""
    lang = normalize_language(slip.language)
    blocks: list[Block] = _header(slip.hall, lang, "slip.ticket.title")
    blocks += [
        line(text("slip.ticket.your_number", lang), align=Align.CENTER),
        line(slip.ticket, bold=True, size=Size.LARGE, align=Align.CENTER),
        line(text(slip.service_key, lang), bold=True, align=Align.CENTER),
        Feed(),
        line(_ahead(slip.ahead, lang), align=Align.CENTER),
        line(text("slip.ticket.wait", lang), align=Align.CENTER),
    ]
    blocks += _follow("slip.ticket.follow", lang, slip.deep_link, slip.viber_link)
    return Document("ticket", lang, tuple(blocks + _footer(slip.hall, lang, slip.issued_at)))


def _ahead(count: int, lang: str) -> str:
    """How many are ahead; nobody is said in words, not as "ahead of you: 0"."""
    if count:
        return text("slip.ticket.ahead", lang, count=str(count))
    return text("slip.ticket.nobody_ahead", lang)


def receipt_document(slip: ReceiptSlip) -> Document:
    """The reference code large and as a QR code for the officer's scanner, the visit, what
    to bring, and the chat link(s)."""
    lang, hall = normalize_language(slip.language), slip.hall
    blocks: list[Block] = _header(hall, lang, "slip.receipt.title")
    blocks += [
        line(text("slip.receipt.ref_label", lang), align=Align.CENTER),
        line(slip.ref, bold=True, size=Size.LARGE, align=Align.CENTER),
        QrCode(slip.ref),
        line(text("slip.receipt.ref_scan", lang), align=Align.CENTER),
        Rule(),
    ]
    if slip.visit_at is not None:
        visit = text("slip.datetime", lang, **hall.date_time(slip.visit_at, lang))
        blocks.append(labelled(text("slip.receipt.visit", lang), visit))
    else:
        blocks.append(line(text("slip.receipt.walk_in", lang)))
    blocks.append(labelled(text("slip.receipt.place", lang), hall.name_in(lang)))
    blocks.append(line(hall.address_in(lang)))
    blocks += [Feed(), line(text("slip.receipt.bring", lang), bold=True)]
    blocks += [line("- " + text(key, lang), indent=2) for key in slip.bring]
    blocks += _follow("slip.receipt.follow", lang, slip.deep_link, slip.viber_link)
    return Document("receipt", lang, tuple(blocks + _footer(hall, lang, slip.issued_at)))


def credentials_document(slip: CredentialsSlip) -> Document:
    """The username, the code large and as a QR code for the ConsentID app, until when it
    works, the steps to activate and to log in, and where to get help."""
    lang, hall = normalize_language(slip.language), slip.hall
    if slip.issued_at is None:
        raise ValueError("the credentials slip is laid out only when it is printed")
    kept = "slip.credentials.masked" if slip.masked else "slip.credentials.code_once"
    blocks: list[Block] = _header(hall, lang, "slip.credentials.title")
    blocks += [
        line(text("slip.credentials.username", lang)),
        line(slip.username, bold=True),
        Feed(),
        line(text("slip.credentials.code", lang)),
        line(slip.activation_code, bold=True, size=Size.DOUBLE, align=Align.CENTER),
        line(text(kept, lang)),
        *_valid_until(slip, lang),
        QrCode(slip.activation_uri),
        line(text("slip.credentials.code_scan", lang), align=Align.CENTER),
        Rule(),
        line(text("slip.credentials.activate", lang), bold=True),
        *_steps(lang, ACTIVATE_STEPS),
        Feed(),
        line(text("slip.credentials.login", lang), bold=True),
        *_steps(lang, LOGIN_STEPS),
        *_help(slip, lang),
        Feed(),
        line(text("slip.credentials.keep", lang)),
    ]
    return Document("credentials", lang, tuple(blocks + _footer(hall, lang, slip.issued_at)))


def lay_out(slip: Slip) -> Document:
    if isinstance(slip, TicketSlip):
        return ticket_document(slip)
    if isinstance(slip, ReceiptSlip):
        return receipt_document(slip)
    return credentials_document(slip)


def slip_from_payload(
    slip: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    activation_code: str | None = None,
    masked: bool = False,
) -> Document:
    """The document of a print job (see flows.conversations.slips.slip_content, whose
    errors it raises)."""
    content = slip_content(slip, payload, now=now, activation_code=activation_code, masked=masked)
    return lay_out(content)


def _header(hall: HallInfo, language: str, title_key: str) -> list[Block]:
    return [
        line(hall.name_in(language), bold=True, align=Align.CENTER),
        line(hall.address_in(language), align=Align.CENTER),
        Rule(),
        line(text(title_key, language), bold=True, size=Size.DOUBLE, align=Align.CENTER),
        Feed(),
    ]


def _footer(hall: HallInfo, language: str, issued_at: datetime) -> list[Block]:
    issued = hall.date_time(issued_at, language)
    return [Feed(), line(text("slip.issued", language, **issued), align=Align.CENTER), Cut()]


def _follow(key: str, lang: str, *links: str | None) -> list[Block]:
    """A QR code per chat link, each under the words that say which messenger it opens."""
    blocks: list[Block] = []
    for link in links:
        if link:
            said = f"{key}_viber" if link.startswith("viber:") else key
            blocks += [Rule(), line(text(said, lang), align=Align.CENTER), QrCode(link)]
    return blocks


def _steps(language: str, keys: tuple[str, ...]) -> list[Block]:
    out: list[Block] = []
    for number, key in enumerate(keys, start=1):
        prefix = f"{number}. "
        out.append(line(prefix + text(key, language), indent=len(prefix)))
    return out


def _valid_until(slip: CredentialsSlip, lang: str) -> list[Block]:
    until = slip.valid_until
    if until is None:
        return []
    when = text("slip.datetime", lang, **slip.hall.date_time(until, lang))
    return [labelled(text("slip.credentials.valid_until", lang), when)]


def _help(slip: CredentialsSlip, lang: str) -> list[Block]:
    hall = slip.hall
    where = text(
        "slip.credentials.help_hall", lang, hall=hall.name_in(lang), address=hall.address_in(lang)
    )
    blocks: list[Block] = [
        Rule(),
        line(text("slip.credentials.help", lang), bold=True),
        line(where),
    ]
    if slip.help_link:
        blocks.append(line(text("slip.credentials.help_chat", lang, link=slip.help_link)))
    return blocks
