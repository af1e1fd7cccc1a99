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

from flows.halls import Hall, Service
from flows.turn import EngineSettings
from kiosk.printing.printers import PrinterConfig, parse_printers

_ENGINE_DEFAULTS = EngineSettings()
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DataSettings:
    dir: str = "./var"
    database: str = ""  # default: sqlite under dir; or postgresql://user@host/db


@dataclass(frozen=True)
class EngineConfig:
    retention_days: int = 30
    booking_days: int = 10
    checkin_tolerance_min: int = 30
    notify_places_ahead: int = 3
    invite_hours: int = 72
    max_failures: int = 3
    deep_link_days: int = 30
    activation_code_days: int = 7
    activation_reminder_hours: int = 24
    consentid_android_url: str = _ENGINE_DEFAULTS.consentid_android_url
    consentid_ios_url: str = _ENGINE_DEFAULTS.consentid_ios_url


@dataclass(frozen=True)
class LinkSettings:
    secret: str = ""  # default: generated once and kept in <data dir>/link-secret


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class KioskSettings:
    idle_seconds: int = 60
    idle_warning_seconds: int = 15


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    api_url: str = "https://api.telegram.org"
    mode: str = "polling"  # or "webhook"
    webhook_url: str = ""
    webhook_secret: str = ""
    bot_username: str = ""


@dataclass(frozen=True)
class OutboxSettings:
    poll_seconds: float = 0.2
    max_attempts: int = 20


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
    engine: EngineConfig = EngineConfig()
    links: LinkSettings = LinkSettings()
    server: ServerSettings = ServerSettings()
    kiosk: KioskSettings = KioskSettings()
    telegram: TelegramSettings = TelegramSettings()
    outbox: OutboxSettings = OutboxSettings()
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
        if key not in known:
            raise ConfigError(f"unknown setting [{where}] {key}")
    values = {k: _check_type(v, hints[k], f"[{where}] {k}") for k, v in table.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"[{where}]: {exc}") from exc


_SECTIONS: dict[str, type[Any]] = {
    "data": DataSettings,
    "engine": EngineConfig,
    "links": LinkSettings,
    "server": ServerSettings,
    "kiosk": KioskSettings,
    "telegram": TelegramSettings,
    "outbox": OutboxSettings,
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
        for printer in [hall.printer, *hall.counter_printers.values()]:
            if printer not in config.printers:
                raise ConfigError(f"[[halls]] {hall.code}: printer {printer!r} is not configured")
    return config


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
    token = env.get("ECITIZEN_TELEGRAM_TOKEN")
    if token:
        raw.setdefault("telegram", {})["token"] = token
    database = env.get("ECITIZEN_DATABASE")
    if database:
        raw.setdefault("data", {})["database"] = database
    return parse_config(raw)
