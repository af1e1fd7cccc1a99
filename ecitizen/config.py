"""Settings: embedded defaults, overridden by an optional TOML file and the environment.

An unknown key or a value of the wrong type stops start-up with a message naming the key
(`ConfigError`). config.example.toml documents every setting.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from flows.domain.halls import Hall, Service
from flows.engine.turn import EngineSettings
from kiosk.settings import KioskSettings
from printing.printers import PrinterConfig, parse_printers
from state.db import Synchronous

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DataSettings:
    dir: str = "./var"
    database: str = ""  # default: sqlite under dir; or postgresql://user@host/db


@dataclass(frozen=True)
class DatabaseSettings:
    synchronous: Synchronous = "full"  # SQLite's commits: "full" survives a power cut
    # Memory for the conversations this process saved lately (state.cache); 0: none kept.
    conversation_cache_mib: float = 16.0

    def __post_init__(self) -> None:
        if self.conversation_cache_mib < 0:
            raise ConfigError("[database] conversation_cache_mib must not be negative")

    @property
    def conversation_cache_bytes(self) -> int:
        return int(self.conversation_cache_mib * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class EngineConfig(EngineSettings):
    """[engine]: the engine's own settings (flows/engine/turn.py says what each means) and
    how long the purge keeps what the engine no longer needs."""

    approved_retention_days: int = 14
    print_keep_hours: int = 24


# Engine settings that other tables set: the bots' names, known from their own settings.
_SET_ELSEWHERE = {"bot_username": "[telegram] bot_username", "viber_uri": "[viber] uri"}


@dataclass(frozen=True)
class LinkSettings:
    secret: str = ""  # default: generated once and kept in <data dir>/link-secret


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1  # server processes on the one port (more than 1 needs PostgreSQL)
    debug_metrics: bool = False  # GET /debug/loop-lag (ecitizen/looplag.py), for benchmarks

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"setting [server] workers must be 1 or more, not {self.workers}")


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    api_url: str = "https://api.telegram.org"
    mode: str = "polling"  # or "webhook"
    webhook_url: str = ""
    webhook_secret: str = ""
    bot_username: str = ""


@dataclass(frozen=True)
class ViberSettings:
    token: str = ""
    api_url: str = "https://chatapi.viber.com/pa"
    public_url: str = ""  # where Viber reaches this server: callbacks and QR pictures
    name: str = ""  # the sender name shown (at most 28 characters); default: the bot's
    avatar: str = ""
    uri: str = ""  # the bot's URI for deep links; default: Viber's answer at start-up


@dataclass(frozen=True)
class OutboxSettings:
    poll_seconds: float = 0.2
    max_attempts: int = 20
    claim_seconds: float = 15.0  # a dead process's notices are taken over this soon

    def __post_init__(self) -> None:
        # renewed every third of it: shorter would spend the database on renewals
        if self.claim_seconds < 1:
            raise ConfigError(
                f"setting [outbox] claim_seconds must be 1 or more, not {self.claim_seconds}"
            )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"

    def __post_init__(self) -> None:
        if self.level.upper() not in LOG_LEVELS:
            raise ConfigError(f"[logging] level must be one of {', '.join(LOG_LEVELS)}")


@dataclass(frozen=True)
class HallSettings:
    code: str
    name: str
    name_en: str
    address: str
    timezone: str = "Europe/Belgrade"
    hours: dict[str, str] = field(default_factory=lambda: {d: "08:00-16:00" for d in _DAYS[:5]})
    slot_minutes: int = 20
    capacity: int = 2
    counters: list[str] = field(default_factory=lambda: ["1", "2"])
    printer: str = "file"
    counter_printers: dict[str, str] = field(default_factory=dict)
    phone: str = ""

    def to_hall(self) -> Hall:
        hours: dict[int, tuple[time, time]] = {}
        for day, span in self.hours.items():
            if day not in _DAYS:
                raise ConfigError(f"[[halls]] {self.code}: hours: unknown day {day!r}")
            try:
                opens, closes = (time.fromisoformat(p.strip()) for p in span.split("-"))
            except ValueError as exc:
                raise ConfigError(
                    f"[[halls]] {self.code}: hours.{day} must look like 08:00-16:00"
                ) from exc
            hours[_DAYS.index(day)] = (opens, closes)
        return Hall(
            code=self.code,
            name=self.name,
            name_en=self.name_en,
            address=self.address,
            timezone=self.timezone,
            hours=hours,
            slot_minutes=self.slot_minutes,
            capacity=self.capacity,
            counters=tuple(self.counters),
            services=(Service("A", "service.registration"), Service("B", "service.help")),
            printer=self.printer,
            counter_printers=dict(self.counter_printers),
            phone=self.phone,
        )


SAMPLE_HALLS: tuple[HallSettings, ...] = (
    HallSettings(
        "kg",
        "Крагујевац, Градска управа",
        "Kragujevac City Administration",
        "Трг слободе 3, Крагујевац",
    ),
    HallSettings("bg", "Београд, Стари град", "Belgrade, Stari Grad", "Македонска 42, Београд"),
    HallSettings("ns", "Нови Сад, Градска кућа", "Novi Sad City Hall", "Трг слободе 1, Нови Сад"),
)


@dataclass(frozen=True)
class Config:
    data: DataSettings = DataSettings()
    database: DatabaseSettings = DatabaseSettings()
    engine: EngineConfig = EngineConfig()
    links: LinkSettings = LinkSettings()
    server: ServerSettings = ServerSettings()
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    telegram: TelegramSettings = TelegramSettings()
    viber: ViberSettings = ViberSettings()
    outbox: OutboxSettings = OutboxSettings()
    logging: LoggingSettings = LoggingSettings()
    halls: tuple[HallSettings, ...] = SAMPLE_HALLS
    printers: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"file": {"kind": "file", "dir": "prints"}}
    )

    @property
    def database_url(self) -> str:
        return self.data.database or f"sqlite:///{Path(self.data.dir) / 'ecitizen.db'}"


def _check_type(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        allowed = " or ".join(f'"{v}"' for v in typing.get_args(hint))
        raise ConfigError(f"setting {where} must be {allowed}, not {value!r}")
    if origin is None and isinstance(hint, type):
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
        raise ConfigError(f"setting {where} must be of type {hint.__name__}, not {value!r}")
    if origin is list and isinstance(value, list):
        (inner,) = typing.get_args(hint)
        return [_check_type(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict and isinstance(value, dict):
        _, inner = typing.get_args(hint)
        return {str(k): _check_type(v, inner, f"{where}.{k}") for k, v in value.items()}
    if origin is types.UnionType or hint is Any:
        return value
    raise ConfigError(f"setting {where} has the wrong type: {value!r}")


def load_section(cls: type[Any], table: Any, where: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"[{where}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in table:
        if cls is EngineConfig and key in _SET_ELSEWHERE:
            raise ConfigError(f"setting [{where}] {key}: it is {_SET_ELSEWHERE[key]}")
        if key not in known:
            raise ConfigError(f"unknown setting [{where}] {key}")
    values = {k: _check_type(v, hints[k], f"[{where}] {k}") for k, v in table.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"[{where}]: {exc}") from exc


_SECTIONS: dict[str, type[Any]] = {
    "data": DataSettings,
    "database": DatabaseSettings,
    "engine": EngineConfig,
    "links": LinkSettings,
    "server": ServerSettings,
    "kiosk": KioskSettings,
    "telegram": TelegramSettings,
    "viber": ViberSettings,
    "outbox": OutboxSettings,
    "logging": LoggingSettings,
}


def parse_config(raw: dict[str, Any]) -> Config:
    values: dict[str, Any] = {}
    for key, table in raw.items():
        if key in _SECTIONS:
            values[key] = load_section(_SECTIONS[key], table, key)
        elif key == "halls":
            if not isinstance(table, list) or not table:
                raise ConfigError("[[halls]] must be a non-empty list of tables")
            values["halls"] = tuple(load_section(HallSettings, t, "halls") for t in table)
        elif key == "printers":
            if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
                raise ConfigError("[printers.<name>] must be tables")
            values["printers"] = {str(k): dict(v) for k, v in table.items()}
        else:
            raise ConfigError(f"unknown setting [{key}]")
    config = Config(**values)
    try:
        printer_configs(config)
    except ValueError as exc:
        raise ConfigError(f"setting {exc}") from None
    codes = [h.code for h in config.halls]
    if len(set(codes)) != len(codes):
        raise ConfigError("[[halls]] code must be unique")
    for hall in config.halls:
        hall.to_hall()
    _check_hall_printers(config, built_in_halls="halls" not in raw)
    return config


def _check_hall_printers(config: Config, *, built_in_halls: bool) -> None:
    """Each printer a hall or counter names is configured. Defining any [printers.<name>]
    replaces the default `file` printer, which the built-in halls print on: the message
    says which halls name the missing printer and how to mend it."""
    known = ", ".join(config.printers)
    for hall in config.halls:
        named = [(hall.printer, "")] + [
            (p, f" counter {c}") for c, p in hall.counter_printers.items()
        ]
        for printer, counter in named:
            if printer in config.printers:
                continue
            if built_in_halls:
                users = ", ".join(h.code for h in config.halls if h.printer == printer)
                raise ConfigError(
                    f"printer {printer!r} is not configured, and the built-in halls {users} "
                    f"print on it: [printers] replaces the default printers, so keep a "
                    f"[printers.{printer}] table beside yours ({known}), or define your own "
                    f"[[halls]] with printer = one of them"
                )
            raise ConfigError(
                f"[[halls]] hall {hall.code}{counter}: printer {printer!r} is not configured; "
                f"add a [printers.{printer}] table or name one of the configured printers "
                f"({known})"
            )


def printer_configs(config: Config) -> dict[str, PrinterConfig]:
    """The [printers.*] tables; a file printer's relative folder is under the data dir."""
    tables: dict[str, dict[str, Any]] = {}
    for name, table in config.printers.items():
        table = dict(table)
        if table.get("kind") == "file":
            folder = Path(str(table.get("dir", "prints")))
            table["dir"] = str(folder if folder.is_absolute() else Path(config.data.dir) / folder)
        tables[name] = table
    return parse_printers(tables)


def load_config(path: Path | None, environ: dict[str, str] | None = None) -> Config:
    """The file (if any) over the defaults, then ECITIZEN_* variables over both."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except OSError as exc:  # a folder, no permission...
            raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    token = env.get("ECITIZEN_TELEGRAM_TOKEN")
    if token:
        raw.setdefault("telegram", {})["token"] = token
    viber_token = env.get("ECITIZEN_VIBER_TOKEN")
    if viber_token:
        raw.setdefault("viber", {})["token"] = viber_token
    database = env.get("ECITIZEN_DATABASE")
    if database:
        raw.setdefault("data", {})["database"] = database
    return parse_config(raw)
