"""Slips as printer-independent documents: what a queue ticket, a registration receipt and
an access-credentials slip say, never how a printer draws it.

A document is a sequence of blocks: lines of text (spans with emphasis, a size, an
alignment), QR codes, separators, feeds and the cut. printing/ turns a document into
ESC/POS bytes or a PNG; the kiosk screen can show the same blocks when the printer is down.
The wording comes from the `slips` catalogs. No slip ever carries a JMBG or an ID card
number; the activation code exists only in the credentials document built to be printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date

from flows.domain.halls import Hall
from flows.engine.i18n import normalize_language, text, to_latin

SLIP_KINDS: tuple[str, ...] = ("ticket", "receipt", "credentials")


class Size(StrEnum):
    NORMAL = "normal"
    DOUBLE = "double"  # twice as wide and as tall
    LARGE = "large"  # three times: the number a citizen looks for

    @property
    def factor(self) -> int:
        return {"normal": 1, "double": 2, "large": 3}[self.value]


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph; the printer wraps it at word boundaries to the paper's width.

    `indent` columns are added before every wrapped continuation (for numbered steps)."""

    spans: tuple[Span, ...]
    size: Size = Size.NORMAL
    align: Align = Align.LEFT
    indent: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True, slots=True)
class QrCode:
    payload: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A separator across the paper."""


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """The end of the slip: the printer cuts (or feeds to the tear bar)."""


Block = Line | QrCode | Rule | Feed | Cut


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # one of SLIP_KINDS
    language: str
    blocks: tuple[Block, ...]

    def lines(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Line)]

    def qr_payloads(self) -> list[str]:
        return [b.payload for b in self.blocks if isinstance(b, QrCode)]

    def as_json(self) -> dict[str, Any]:
        """For the kiosk screen: the same information when the slip has to wait.
        Blocks are {"type": "line" | "qrcode" | "rule" | "feed" | "cut", ...fields}."""
        blocks = [{"type": type(b).__name__.lower(), **asdict(b)} for b in self.blocks]
        return {"kind": self.kind, "language": self.language, "blocks": blocks}


def line(
    value: str,
    *,
    bold: bool = False,
    size: Size = Size.NORMAL,
    align: Align = Align.LEFT,
    indent: int = 0,
) -> Line:
    return Line((Span(value, bold),), size, align, indent)


def labelled(label: str, value: str, *, indent: int = 0) -> Line:
    """ "Label: value" with the value in bold."""
    return Line((Span(f"{label} "), Span(value, bold=True)), indent=indent)


@dataclass(frozen=True, slots=True)
class HallInfo:
    """What a slip says about the hall: its name (Serbian Cyrillic as on the door, and
    English), address, and the time zone the slip's times are shown in."""

    name: str
    name_en: str
    address: str
    timezone: str = "Europe/Belgrade"

    @staticmethod
    def of(hall: Hall) -> HallInfo:
        return HallInfo(hall.name, hall.name_en, hall.address, hall.timezone)

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "address": self.address,
            "timezone": self.timezone,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> HallInfo:
        return HallInfo(
            str(data["name"]),
            str(data.get("name_en") or data["name"]),
            str(data.get("address", "")),
            str(data.get("timezone") or "Europe/Belgrade"),
        )

    def name_in(self, language: str) -> str:
        if language == "en":
            return self.name_en
        return to_latin(self.name) if language == "sr-Latn" else self.name

    def address_in(self, language: str) -> str:
        return self.address if language == "sr-Cyrl" else to_latin(self.address)


_BABEL_LOCALE = {"sr-Cyrl": "sr_Cyrl", "sr-Latn": "sr_Latn", "en": "en"}


def load_date_formats() -> None:
    """Babel reads a language's date formats when first asked (10 to 40 ms of CPU): at
    start, in a thread (flows.conversations.assembly.preload), not at the first slip."""
    for locale in _BABEL_LOCALE.values():
        format_date(date(2026, 1, 1), "long", locale=locale)


def _when(moment: datetime, hall: HallInfo, language: str) -> dict[str, str]:
    local = moment.astimezone(ZoneInfo(hall.timezone))
    day = format_date(local.date(), "long", locale=_BABEL_LOCALE[language])
    return {"date": day, "time": local.strftime("%H:%M")}


def _header(hall: HallInfo, language: str, title_key: str) -> list[Block]:
    return [
        line(hall.name_in(language), bold=True, align=Align.CENTER),
        line(hall.address_in(language), align=Align.CENTER),
        Rule(),
        line(text(title_key, language), bold=True, size=Size.DOUBLE, align=Align.CENTER),
        Feed(),
    ]


def _steps(language: str, keys: tuple[str, ...], **values: str) -> list[Block]:
    out: list[Block] = []
    for number, key in enumerate(keys, start=1):
        prefix = f"{number}. "
        out.append(line(prefix + text(key, language, **values), indent=len(prefix)))
    return out


def _footer(language: str, issued: dict[str, str]) -> list[Block]:
    return [
        Feed(),
        line(text("slip.issued", language, **issued), align=Align.CENTER),
        Cut(),
    ]


def ticket_slip(
    *,
    language: str,
    hall: HallInfo,
    ticket: str,
    service_key: str,
    issued_at: datetime,
    ahead: int,
    deep_link: str | None,
    viber_link: str | None = None,
) -> Document:
    """A queue ticket: the number in large type, how many are ahead, and a QR code that
    opens the chat (a Telegram or Viber deep link; both when both are configured) to
    follow the queue on the phone."""
    lang = normalize_language(language)
    blocks: list[Block] = _header(hall, lang, "slip.ticket.title")
    blocks += [
        line(text("slip.ticket.your_number", lang), align=Align.CENTER),
        line(ticket, bold=True, size=Size.LARGE, align=Align.CENTER),
        line(text(service_key, lang), bold=True, align=Align.CENTER),
        Feed(),
        line(text("slip.ticket.ahead", lang, count=str(ahead)), align=Align.CENTER),
        line(text("slip.ticket.wait", lang), align=Align.CENTER),
    ]
    blocks += _follow("slip.ticket.follow", lang, deep_link, viber_link)
    return Document("ticket", lang, tuple(blocks + _footer(lang, _when(issued_at, hall, lang))))


def _follow(key: str, lang: str, *links: str | None) -> list[Block]:
    """A QR code per chat link, each under the words that say which messenger it opens."""
    blocks: list[Block] = []
    for link in links:
        if link:
            said = f"{key}_viber" if link.startswith("viber:") else key
            blocks += [Rule(), line(text(said, lang), align=Align.CENTER), QrCode(link)]
    return blocks


def _bring(document: str) -> tuple[str, ...]:
    """What to bring: the document chosen at registration, the phone, this slip."""
    what = "slip.receipt.bring_passport" if document == "passport" else "slip.receipt.bring_id"
    return (what, "slip.receipt.bring_phone", "slip.receipt.bring_slip")


def receipt_slip(
    *,
    language: str,
    hall: HallInfo,
    ref: str,
    visit_at: datetime | None,
    issued_at: datetime,
    deep_link: str | None,
    viber_link: str | None = None,
    document: str = "id_card",
) -> Document:
    """A registration receipt: the reference code large and as a QR code for the
    officer's scanner, the visit, what to bring (the document the person chose: never its
    number), and the chat deep link(s)."""
    lang = normalize_language(language)
    blocks: list[Block] = _header(hall, lang, "slip.receipt.title")
    blocks += [
        line(text("slip.receipt.ref_label", lang), align=Align.CENTER),
        line(ref, bold=True, size=Size.LARGE, align=Align.CENTER),
        QrCode(ref),
        line(text("slip.receipt.ref_scan", lang), align=Align.CENTER),
        Rule(),
    ]
    if visit_at is not None:
        visit = text("slip.datetime", lang, **_when(visit_at, hall, lang))
        blocks.append(labelled(text("slip.receipt.visit", lang), visit))
    else:
        blocks.append(line(text("slip.receipt.walk_in", lang)))
    blocks.append(labelled(text("slip.receipt.place", lang), hall.name_in(lang)))
    blocks.append(line(hall.address_in(lang)))
    blocks += [Feed(), line(text("slip.receipt.bring", lang), bold=True)]
    blocks += [line("- " + text(key, lang), indent=2) for key in _bring(document)]
    blocks += _follow("slip.receipt.follow", lang, deep_link, viber_link)
    return Document("receipt", lang, tuple(blocks + _footer(lang, _when(issued_at, hall, lang))))


def activation_uri(username: str, code: str) -> str:
    """What the ConsentID app reads from the credentials QR code."""
    return f"consentid://activate?u={quote(username, safe='')}&c={quote(code, safe='')}"


# The official order (https://test.eid.gov.rs/en-US/install-mobile-applications): install,
# open and go through the introduction, set the 6-digit PIN, then activate by scanning the
# QR code (or typing the user ID and the code), and check the name and expiry date shown.
_ACTIVATE = (
    "slip.credentials.step_install",
    "slip.credentials.step_open",
    "slip.credentials.step_pin",
    "slip.credentials.step_scan",
    "slip.credentials.step_check",
)
_LOGIN = (
    "slip.credentials.login_portal",
    "slip.credentials.login_username",
    "slip.credentials.login_confirm",
)


MASKED_CODE = "****-****-****"


def credentials_slip(
    *,
    language: str,
    hall: HallInfo,
    username: str,
    activation_code: str,
    issued_at: datetime,
    help_link: str | None = None,
    masked: bool = False,
    valid_days: int | None = None,
) -> Document:
    """The access credentials: the only place the one-time activation code ever
    appears, in clear and as a QR code for the ConsentID app, with the date it stops
    working (`valid_days` after printing). `masked`: for a printer that keeps what it
    prints (a file), the code is replaced by stars and the slip says so, in the text and
    in its QR code."""
    lang = normalize_language(language)
    if masked:
        activation_code = MASKED_CODE
    help_hall = text(
        "slip.credentials.help_hall", lang, hall=hall.name_in(lang), address=hall.address_in(lang)
    )
    blocks: list[Block] = _header(hall, lang, "slip.credentials.title")
    blocks += [
        line(text("slip.credentials.username", lang)),
        line(username, bold=True),
        Feed(),
        line(text("slip.credentials.code", lang)),
        line(activation_code, bold=True, size=Size.DOUBLE, align=Align.CENTER),
        line(text("slip.credentials.code_once" if not masked else "slip.credentials.masked", lang)),
        *_valid_until(issued_at, valid_days, hall, lang),
        QrCode(activation_uri(username, activation_code)),
        line(text("slip.credentials.code_scan", lang), align=Align.CENTER),
        Rule(),
        line(text("slip.credentials.activate", lang), bold=True),
        *_steps(lang, _ACTIVATE),
        Feed(),
        line(text("slip.credentials.login", lang), bold=True),
        *_steps(lang, _LOGIN),
        Rule(),
        line(text("slip.credentials.help", lang), bold=True),
        line(help_hall),
    ]
    if help_link:
        blocks.append(line(text("slip.credentials.help_chat", lang, link=help_link)))
    blocks += [Feed(), line(text("slip.credentials.keep", lang))]
    return Document(
        "credentials", lang, tuple(blocks + _footer(lang, _when(issued_at, hall, lang)))
    )


def _valid_until(
    issued_at: datetime, valid_days: int | None, hall: HallInfo, lang: str
) -> list[Block]:
    if not valid_days:
        return []
    until = _when(issued_at + timedelta(days=valid_days), hall, lang)
    return [
        labelled(text("slip.credentials.valid_until", lang), text("slip.datetime", lang, **until))
    ]


# Payloads of print jobs: JSON-friendly, language-neutral data; the worker builds the
# document when it prints. Never an activation code, a JMBG or an ID card number.
_FORBIDDEN_KEYS = frozenset({"code", "activation_code", "jmbg", "id_number"})


def ticket_payload(
    *,
    language: str,
    hall: HallInfo,
    ticket: str,
    service_key: str,
    issued_at: datetime,
    ahead: int,
    deep_link: str | None,
    viber_link: str | None = None,
) -> dict[str, Any]:
    return {
        "language": normalize_language(language),
        "hall": hall.as_json(),
        "ticket": ticket,
        "service": service_key,
        "issued_at": issued_at.isoformat(),
        "ahead": ahead,
        "deep_link": deep_link,
        "viber_link": viber_link,
    }


def receipt_payload(
    *,
    language: str,
    hall: HallInfo,
    ref: str,
    visit_at: datetime | None,
    issued_at: datetime,
    deep_link: str | None,
    viber_link: str | None = None,
    document: str = "id_card",
) -> dict[str, Any]:
    return {
        "language": normalize_language(language),
        "hall": hall.as_json(),
        "ref": ref,
        "visit_at": visit_at.isoformat() if visit_at else None,
        "issued_at": issued_at.isoformat(),
        "deep_link": deep_link,
        "viber_link": viber_link,
        "document": document,
    }


def credentials_payload(
    *,
    language: str,
    hall: HallInfo,
    username: str,
    help_link: str | None = None,
    valid_days: int | None = None,
) -> dict[str, Any]:
    """The activation code is not here: the printer worker asks the account provider for
    a fresh one right before printing, and the slip's date is the moment it prints (the
    code is valid `valid_days` from then)."""
    return {
        "language": normalize_language(language),
        "hall": hall.as_json(),
        "username": username,
        "help_link": help_link,
        "valid_days": valid_days,
    }


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("times in slip payloads carry their time zone")
    return moment


def slip_from_payload(
    slip: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    activation_code: str | None = None,
    masked: bool = False,
) -> Document:
    """The document of a print job. Raises ValueError (or KeyError) for a payload that
    cannot make a slip, including one that carries data no slip may show. `masked`: the
    activation code is replaced by stars (see credentials_slip)."""
    leaked = _FORBIDDEN_KEYS & set(payload)
    if leaked:
        raise ValueError(f"a slip payload never carries {sorted(leaked)}")
    language = normalize_language(payload.get("language"))
    hall = HallInfo.from_json(dict(payload["hall"]))
    if slip == "ticket":
        return ticket_slip(
            language=language,
            hall=hall,
            ticket=str(payload["ticket"]),
            service_key=str(payload["service"]),
            issued_at=_moment(payload["issued_at"]),
            ahead=int(payload.get("ahead", 0)),
            deep_link=payload.get("deep_link") or None,
            viber_link=payload.get("viber_link") or None,
        )
    if slip == "receipt":
        visit = payload.get("visit_at")
        return receipt_slip(
            language=language,
            hall=hall,
            ref=str(payload["ref"]),
            visit_at=_moment(visit) if visit else None,
            issued_at=_moment(payload["issued_at"]),
            deep_link=payload.get("deep_link") or None,
            viber_link=payload.get("viber_link") or None,
            document=str(payload.get("document") or "id_card"),
        )
    if slip == "credentials":
        if not activation_code:
            raise ValueError("the credentials slip needs a freshly issued activation code")
        return credentials_slip(
            language=language,
            hall=hall,
            username=str(payload["username"]),
            activation_code=activation_code,
            issued_at=now,
            help_link=payload.get("help_link") or None,
            masked=masked,
            valid_days=int(payload["valid_days"]) if payload.get("valid_days") else None,
        )
    raise ValueError(f"unknown slip kind {slip!r}")
