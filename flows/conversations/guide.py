"""The service guide: "what can I do as an eCitizen?". Choose a life event, or type a few
words (flows/conversations/guide_search.py); each procedure says what it does, who can use it, what
login it needs, what to prepare, where it is, and the public page it comes from. From a
procedure that needs an account, one tap leads to "Become an eCitizen"."""

from __future__ import annotations

from flows.conversations.guide_data import Guide, Procedure, Topic, guide, load_guide
from flows.conversations.guide_search import search
from flows.domain.textinput import Invalid
from flows.engine.flow import END, Flow, Option, action, ask, choose, info
from flows.engine.messages import Choice, Expect, Msg
from flows.engine.turn import Outcome, Parts, Presentation, Turn

PAGE = 6  # procedures per screen (a long topic is paged): a screen shows them without scrolling
RESULTS = 5  # the best few procedures for a typed question
QUERY = "guide_query"  # what the person typed, for the results screen
BECOME = Choice("cmd:become", Msg("guide.become"))  # "Become an eCitizen"
TYPE_WORDS = "type_words"  # the button to a screen with a keyboard for the question

GUIDE = Flow(
    name="guide",
    steps=(
        # typed words instead of a topic search at once (chats); a touch screen, with no
        # keyboard beside the topics, offers "Type what you are looking for"
        choose(
            "category",
            "category",
            provider="guide_categories",
            on={"ok": "procedure", "search": "results", TYPE_WORDS: "guide_query"},
            clears=("procedure", "_page"),
            check="guide_search",
        ),
        ask(
            "guide_query",
            QUERY,
            "guide_search",
            Expect.TEXT,
            on={"search": "results", "topics": "category"},
            options=(Option("topics", "guide.topics"),),
            max_len=200,  # a few words to search by
        ),
        choose(
            "procedure",
            "procedure",
            provider="guide_procedures",
            on={"ok": "detail", "back": "category", "next_page": "next_page"},
        ),
        action("next_page", "guide_next_page", on={"ok": "procedure"}),
        choose(
            "results",
            "procedure",
            provider="guide_results",
            on={
                "ok": "detail",
                "topics": "category",
                "search": "results",
                TYPE_WORDS: "guide_query",
            },
            check="guide_search",
            prompt="guide.results_prompt",
        ),
        info(
            "detail",
            provider="guide_detail",
            prompt="",
            on={"ok": END, "more": "procedure", "results": "results", "topics": "category"},
        ),
    ),
)


def _title(item: Topic | Procedure) -> Msg:
    return Msg.of("guide.title", title=item.title, title_en=item.title_en)


def check_search(raw: str, turn: Turn) -> Outcome | Invalid:
    """Typed words instead of a topic: the best procedures for them."""
    if not search(raw, 1):
        return Invalid("guide.nothing_found")
    turn.conv.slots[QUERY] = raw
    return Outcome("search")


async def categories(turn: Turn) -> Presentation:
    choices = [Choice(c.id, _title(c)) for c in guide().categories]
    return Presentation(choices=[*choices, Choice(TYPE_WORDS, Msg("guide.type_words"))])


async def procedures(turn: Turn) -> Presentation:
    turn.conv.slots.pop(QUERY, None)  # browsing now: "another procedure" comes back here
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


async def results(turn: Turn) -> Presentation:
    query = str(turn.conv.slots.get(QUERY, ""))
    hits = search(query, RESULTS)
    choices = [Choice(hit.procedure.id, _title(hit.procedure)) for hit in hits]
    choices += [Choice(TYPE_WORDS, Msg("guide.other_words")), Choice("topics", Msg("guide.topics"))]
    return Presentation(texts=[Msg.of("guide.results", query=query)], choices=choices)


def _in(turn: Turn, serbian: str, english: str) -> str:
    return english if turn.language == "en" else serbian


def login_text(turn: Turn, proc: Procedure) -> Msg:
    if proc.login == "other":
        return Msg.of("guide.login.other", note=_in(turn, proc.login_note, proc.login_note_en))
    return Msg(f"guide.login.{proc.login}")


async def detail(turn: Turn) -> Presentation:
    proc = guide().procedure(str(turn.conv.slots.get("procedure", "")))
    if proc is None:
        return Presentation(choices=[Choice("topics", Msg("guide.topics"))])
    traits = turn.traits
    text = Msg.of(
        "guide.procedure" if traits.opens_links else "guide.procedure_no_link",
        title=_title(proc),
        summary=_in(turn, proc.summary, proc.summary_en),
        who=_in(turn, proc.who, proc.who_en),
        login=login_text(turn, proc),
        needs=_in(turn, proc.needs, proc.needs_en),
        where=_in(turn, proc.where, proc.where_en),
        source=proc.source,
    )
    searched = bool(turn.conv.slots.get(QUERY))
    choices = [BECOME] if proc.account else []
    choices += [
        Choice("results", Msg("guide.back_to_results"))
        if searched
        else Choice("more", Msg("guide.more")),
        Choice("topics", Msg("guide.topics")),
    ]
    if not traits.shared_screen:  # a shared screen's own "Finish" is always there
        choices.append(Choice("ok", Msg("guide.done")))
    return Presentation(texts=[text], choices=choices)


PARTS = Parts(
    checks={"guide_search": check_search},
    providers={
        "guide_categories": categories,
        "guide_procedures": procedures,
        "guide_results": results,
        "guide_detail": detail,
    },
    actions={"guide_next_page": next_page},
)

__all__ = ["GUIDE", "PARTS", "Guide", "Procedure", "Topic", "guide", "load_guide"]
