"""What the slips say: a queue ticket, a registration receipt and the access credentials.

Each slip is a record of what it tells the person, in their language; printing/ lays it out
on paper (printing/slip_layout.py), never this module. A print job carries a slip as a
JSON-friendly, language-neutral payload, and the print worker reads it back when it prints.
No slip ever carries a JMBG or an ID card number; the activation code exists only in the
credentials record the print worker makes right before printing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date

from flows.domain.halls import Hall
from flows.engine.i18n import normalize_language, to_latin

SLIP_KINDS: tuple[str, ...] = ("ticket", "receipt", "credentials")

# A payload never carries these: the code is issued at printing, the others never leave
# the registration.
_FORBIDDEN_KEYS = frozenset({"code", "activation_code", "jmbg", "id_number"})
_BABEL_LOCALE = {"sr-Cyrl": "sr_Cyrl", "sr-Latn": "sr_Latn", "en": "en"}


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

    def date_time(self, moment: datetime, language: str) -> dict[str, str]:
        """The moment in the hall's time zone, as the slip words it: {date, time}."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        day = format_date(local.date(), "long", locale=_BABEL_LOCALE[language])
        return {"date": day, "time": local.strftime("%H:%M")}


@dataclass(frozen=True, slots=True)
class TicketSlip:
    """A queue ticket: the number, the service, how many are ahead, and the chat link(s)
    to follow the queue on the phone (Telegram's, Viber's, or both)."""

    language: str
    hall: HallInfo
    ticket: str
    service_key: str
    issued_at: datetime
    ahead: int
    deep_link: str | None = None
    viber_link: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "language": normalize_language(self.language),
            "hall": self.hall.as_json(),
            "ticket": self.ticket,
            "service": self.service_key,
            "issued_at": self.issued_at.isoformat(),
            "ahead": self.ahead,
            "deep_link": self.deep_link,
            "viber_link": self.viber_link,
        }

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> TicketSlip:
        return TicketSlip(
            language=normalize_language(payload.get("language")),
            hall=HallInfo.from_json(dict(payload["hall"])),
            ticket=str(payload["ticket"]),
            service_key=str(payload["service"]),
            issued_at=_moment(payload["issued_at"]),
            ahead=int(payload.get("ahead", 0)),
            deep_link=payload.get("deep_link") or None,
            viber_link=payload.get("viber_link") or None,
        )


def load_date_formats() -> None:
    """Babel reads a language's date formats when first asked (10 to 40 ms of CPU): at
    start, in a thread (flows.conversations.assembly.preload), not at the first slip."""
    for locale in _BABEL_LOCALE.values():
        format_date(date(2026, 1, 1), "long", locale=locale)


@dataclass(frozen=True, slots=True)
class ReceiptSlip:
    """A registration receipt: the reference code (for the officer's scanner too), the
    visit, what to bring (the document the person chose: never its number), and the chat
    link(s)."""

    language: str
    hall: HallInfo
    ref: str
    visit_at: datetime | None
    issued_at: datetime
    deep_link: str | None = None
    viber_link: str | None = None
    document: str = "id_card"

    @property
    def bring(self) -> tuple[str, ...]:
        """What to bring, as catalog keys: the document chosen, the phone, this slip."""
        what = (
            "slip.receipt.bring_passport"
            if self.document == "passport"
            else "slip.receipt.bring_id"
        )
        return (what, "slip.receipt.bring_phone", "slip.receipt.bring_slip")

    def payload(self) -> dict[str, Any]:
        return {
            "language": normalize_language(self.language),
            "hall": self.hall.as_json(),
            "ref": self.ref,
            "visit_at": self.visit_at.isoformat() if self.visit_at else None,
            "issued_at": self.issued_at.isoformat(),
            "deep_link": self.deep_link,
            "viber_link": self.viber_link,
            "document": self.document,
        }

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> ReceiptSlip:
        visit = payload.get("visit_at")
        return ReceiptSlip(
            language=normalize_language(payload.get("language")),
            hall=HallInfo.from_json(dict(payload["hall"])),
            ref=str(payload["ref"]),
            visit_at=_moment(visit) if visit else None,
            issued_at=_moment(payload["issued_at"]),
            deep_link=payload.get("deep_link") or None,
            viber_link=payload.get("viber_link") or None,
            document=str(payload.get("document") or "id_card"),
        )


# The official order (https://test.eid.gov.rs/en-US/install-mobile-applications): install,
# open and go through the introduction, set the 6-digit PIN, then activate by scanning the
# QR code (or typing the user ID and the code), and check the name and expiry date shown.
ACTIVATE_STEPS = (
    "slip.credentials.step_install",
    "slip.credentials.step_open",
    "slip.credentials.step_pin",
    "slip.credentials.step_scan",
    "slip.credentials.step_check",
)
LOGIN_STEPS = (
    "slip.credentials.login_portal",
    "slip.credentials.login_username",
    "slip.credentials.login_confirm",
)
MASKED_CODE = "****-****-****"


def activation_uri(username: str, code: str) -> str:
    """What the ConsentID app reads from the credentials QR code."""
    return f"consentid://activate?u={quote(username, safe='')}&c={quote(code, safe='')}"


@dataclass(frozen=True, slots=True)
class CredentialsSlip:
    """The access credentials: the username, and the one-time activation code (the only
    place it ever appears, in clear and for the ConsentID app) with the date it stops
    working, `valid_days` after printing; then how to activate and log in.

    The payload never holds the code: the print worker asks the account provider for a
    fresh one right before printing (`printed`), and the slip's date is that moment."""

    language: str
    hall: HallInfo
    username: str
    help_link: str | None = None
    valid_days: int | None = None
    activation_code: str = ""
    issued_at: datetime | None = None
    # for a printer that keeps what it prints (a file): the code is stars, and it says so
    masked: bool = False

    def printed(self, activation_code: str, now: datetime, masked: bool) -> CredentialsSlip:
        code = MASKED_CODE if masked else activation_code
        return replace(self, activation_code=code, issued_at=now, masked=masked)

    @property
    def activation_uri(self) -> str:
        return activation_uri(self.username, self.activation_code)

    @property
    def valid_until(self) -> datetime | None:
        if not self.valid_days or self.issued_at is None:
            return None
        return self.issued_at + timedelta(days=self.valid_days)

    def payload(self) -> dict[str, Any]:
        return {
            "language": normalize_language(self.language),
            "hall": self.hall.as_json(),
            "username": self.username,
            "help_link": self.help_link,
            "valid_days": self.valid_days,
        }

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> CredentialsSlip:
        return CredentialsSlip(
            language=normalize_language(payload.get("language")),
            hall=HallInfo.from_json(dict(payload["hall"])),
            username=str(payload["username"]),
            help_link=payload.get("help_link") or None,
            valid_days=int(payload["valid_days"]) if payload.get("valid_days") else None,
        )


Slip = TicketSlip | ReceiptSlip | CredentialsSlip


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("times in slip payloads carry their time zone")
    return moment


def slip_content(
    slip: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    activation_code: str | None = None,
    masked: bool = False,
) -> Slip:
    """What a print job's slip says. Raises ValueError (or KeyError) for a payload that
    cannot make a slip, including one that carries data no slip may show. The credentials
    need the activation code issued for this printing; `masked`: it is shown as stars."""
    leaked = _FORBIDDEN_KEYS & set(payload)
    if leaked:
        raise ValueError(f"a slip payload never carries {sorted(leaked)}")
    if slip == "ticket":
        return TicketSlip.from_payload(payload)
    if slip == "receipt":
        return ReceiptSlip.from_payload(payload)
    if slip == "credentials":
        if not activation_code:
            raise ValueError("the credentials slip needs a freshly issued activation code")
        return CredentialsSlip.from_payload(payload).printed(activation_code, now, masked)
    raise ValueError(f"unknown slip kind {slip!r}")
