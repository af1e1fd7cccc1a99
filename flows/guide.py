"""The service guide: life events and procedures, read from a data file an operator extends."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flows.flow import END, Flow, action, choose, info
from flows.messages import Choice, Msg
from flows.turn import Parts, Presentation, Turn

GUIDE_FILE = Path(__file__).parent / "data" / "guide.toml"
PAGE = 8  # procedures per screen: a long category is paged


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
    account: bool
    needs: str
    needs_en: str


@dataclass(frozen=True, slots=True)
class Guide:
    categories: tuple[Topic, ...]
    procedures: tuple[Procedure, ...]

    def in_category(self, category: str) -> list[Procedure]:
        return [p for p in self.procedures if p.category == category]

    def procedure(self, pid: str) -> Procedure | None:
        return next((p for p in self.procedures if p.id == pid), None)


def load_guide(path: Path = GUIDE_FILE) -> Guide:
    """Read and check the guide: every procedure names a known category, ids are unique."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cats = tuple(Topic(c["id"], c["title"], c["title_en"]) for c in data.get("category", []))
    procs = tuple(
        Procedure(
            p["id"],
            p["category"],
            p["title"],
            p["title_en"],
            bool(p["account"]),
            p["needs"],
            p["needs_en"],
        )
        for p in data.get("procedure", [])
    )
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


def _title(item: Topic | Procedure) -> Msg:
    return Msg.of("guide.title", title=item.title, title_en=item.title_en)


GUIDE = Flow(
    name="guide",
    steps=(
        choose(
            "category",
            "category",
            provider="guide_categories",
            on={"ok": "procedure"},
            clears=("procedure", "_page"),
        ),
        choose(
            "procedure",
            "procedure",
            provider="guide_procedures",
            on={"ok": "detail", "back": "category", "next_page": "next_page"},
        ),
        action("next_page", "guide_next_page", on={"ok": "procedure"}),
        info(
            "detail",
            provider="guide_detail",
            prompt="",
            on={"ok": END, "more": "procedure", "topics": "category"},
        ),
    ),
)


async def categories(turn: Turn) -> Presentation:
    return Presentation(choices=[Choice(c.id, _title(c)) for c in guide().categories])


async def procedures(turn: Turn) -> Presentation:
    items = guide().in_category(str(turn.conv.slots.get("category", "")))
    page = int(turn.conv.slots.get("_page", 0))
    shown = items[page * PAGE : (page + 1) * PAGE]
    choices = [Choice(p.id, _title(p)) for p in shown]
    if (page + 1) * PAGE < len(items):
        choices.append(Choice("next_page", Msg("guide.next_page")))
    choices.append(Choice("back", Msg("guide.back")))
    return Presentation(choices=choices)


async def next_page(turn: Turn) -> str:
    items = guide().in_category(str(turn.conv.slots.get("category", "")))
    page = int(turn.conv.slots.get("_page", 0)) + 1
    turn.conv.slots["_page"] = page if page * PAGE < len(items) else 0
    return "ok"


async def detail(turn: Turn) -> Presentation:
    proc = guide().procedure(str(turn.conv.slots.get("procedure", "")))
    if proc is None:
        return Presentation(choices=[Choice("topics", Msg("guide.topics"))])
    texts = [
        Msg.of(
            "guide.detail",
            title=_title(proc),
            needs=Msg.of("guide.needs", needs=proc.needs, needs_en=proc.needs_en),
            account=Msg("guide.account_yes" if proc.account else "guide.account_no"),
        )
    ]
    choices = [
        Choice("more", Msg("guide.more")),
        Choice("topics", Msg("guide.topics")),
        Choice("ok", Msg("guide.done")),
    ]
    return Presentation(texts=texts, choices=choices)


PARTS = Parts(
    providers={
        "guide_categories": categories,
        "guide_procedures": procedures,
        "guide_detail": detail,
    },
    actions={"guide_next_page": next_page},
)
