"""The service guide's catalogue: life events and the procedures under each, read from
flows/data/guide.toml (an operator extends it there) and checked when loaded."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

GUIDE_FILE = Path(__file__).parents[1] / "data" / "guide.toml"
# what the portal asks for (see the data file's header)
LOGINS: tuple[str, ...] = ("consentid", "certificate", "account", "basic", "none", "other")
ACCOUNT_LOGINS = frozenset({"consentid", "account", "basic"})  # an eCitizen account


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    title_en: str


@dataclass(frozen=True, slots=True)
class Procedure:
    id: str
    category: str
    title: str
    title_en: str
    summary: str
    summary_en: str
    who: str
    who_en: str
    login: str
    needs: str
    needs_en: str
    where: str
    where_en: str
    source: str  # the public page this entry was written from
    sources: tuple[str, ...] = ()  # further pages used
    keywords: tuple[str, ...] = ()  # more words people type for it
    login_note: str = ""
    login_note_en: str = ""

    @property
    def account(self) -> bool:
        """It needs an eCitizen account: the way in is "Become an eCitizen"."""
        return self.login in ACCOUNT_LOGINS


@dataclass(frozen=True, slots=True)
class Guide:
    categories: tuple[Topic, ...]
    procedures: tuple[Procedure, ...]

    def in_category(self, category: str) -> list[Procedure]:
        return [p for p in self.procedures if p.category == category]

    def procedure(self, pid: str) -> Procedure | None:
        return next((p for p in self.procedures if p.id == pid), None)


def _procedure(data: dict[str, Any], path: Path) -> Procedure:
    fields = {name: data[name] for name in Procedure.__slots__ if name in data}
    fields["sources"] = tuple(data.get("sources", ()))
    fields["keywords"] = tuple(data.get("keywords", ()))
    try:
        proc = Procedure(**fields)
    except TypeError as exc:
        raise ValueError(f"{path}: procedure {data.get('id')}: {exc}") from exc
    if proc.login not in LOGINS:
        raise ValueError(f"{path}: procedure {proc.id}: unknown login {proc.login!r}")
    if proc.login == "other" and not (proc.login_note and proc.login_note_en):
        raise ValueError(f"{path}: procedure {proc.id}: login 'other' needs login_note(_en)")
    if not all(url.startswith(("http://", "https://")) for url in (proc.source, *proc.sources)):
        raise ValueError(f"{path}: procedure {proc.id}: every source is a public URL")
    return proc


def load_guide(path: Path = GUIDE_FILE) -> Guide:
    """Read and check the guide: every procedure names a known category and a public
    source; ids are unique."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cats = tuple(Topic(c["id"], c["title"], c["title_en"]) for c in data.get("category", []))
    procs = tuple(_procedure(p, path) for p in data.get("procedure", []))
    known = {c.id for c in cats}
    for p in procs:
        if p.category not in known:
            raise ValueError(f"{path}: procedure {p.id} names unknown category {p.category}")
    ids = [p.id for p in procs] + [c.id for c in cats]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: an id is used twice")
    return Guide(cats, procs)


@cache
def guide() -> Guide:
    return load_guide()
