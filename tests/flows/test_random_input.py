"""Random inputs at random steps never crash the engine and never lose a filled answer."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecitizen.app import App, build_app
from ecitizen.config import parse_config
from flows.engine.messages import Command, ConversationKey, Inbound
from tests.conftest import Clock

PERSONAL = ("first_name", "last_name", "jmbg", "id_number", "phone", "email")
_users = itertools.count()

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789 -+", max_size=16),
    st.sampled_from(
        [
            "1",
            "2",
            "3",
            "да",
            "не",
            "yes",
            "0512981717776",
            "064 123 4567",
            "Ана",
            "x" * 5000,
            "\u202e",
            "\x00",
            "ana@primer.rs",
            "012345678",
        ]
    ),
)
actions = st.one_of(
    texts.map(lambda t: ("text", t)),
    st.sampled_from(
        [
            "yes",
            "no",
            "ok",
            "skip",
            "submit",
            "kg",
            "walk_in",
            "edit_phone",
            "cmd:help",
            "lang:en",
            "nonsense",
            "A",
        ]
    ).map(lambda c: ("choice", c)),
    st.sampled_from([Command.BACK, Command.HELP, Command.LANGUAGE, Command.START]).map(
        lambda c: ("command", c)
    ),
    st.just(("sticker", "")),
)


def make_inbound(key: ConversationKey, kind: str, value: object) -> Inbound:
    if kind == "text":
        return Inbound(key, text=str(value))
    if kind == "choice":
        return Inbound(key, choice=str(value))
    if isinstance(value, Command):
        return Inbound(key, command=value)
    return Inbound(key)  # a sticker: nothing the engine can read


async def scenario(app: App, steps: list[tuple[str, object]]) -> None:
    key = ConversationKey("terminal", f"u{next(_users)}")
    prefix = [
        ("choice", "lang:sr-Cyrl"),
        ("choice", "menu.register"),
        ("choice", "ok"),
        ("choice", "yes"),
        ("text", "Ана"),
        ("text", "Петровић"),
    ]
    filled: dict[str, object] = {}
    for kind, value in prefix + steps:
        inbound = make_inbound(key, kind, value)
        before = await app.store.load_conversation(key)
        replies = await app.handle(inbound)
        assert len(replies) == 1 and replies[0].text, "every message gets an answer"
        after = await app.store.load_conversation(key)
        assert after is not None
        if not after.flow:
            return  # the flow ended (submitted, or declined): nothing more to keep
        asked = before.state if before is not None else ""
        for slot, old in filled.items():
            assert slot in after.slots, f"{slot} was lost at {asked}"
            if after.slots[slot] != old:
                assert asked == slot or asked.startswith(slot), f"{slot} changed at {asked}"
        filled = {s: after.slots[s] for s in PERSONAL if s in after.slots}


def test_random_inputs_at_random_steps(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    config = parse_config({"data": {"dir": str(tmp_path)}})
    app = loop.run_until_complete(build_app(config, clock=Clock()))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(actions, max_size=30))
    def run(steps: list[tuple[str, object]]) -> None:
        loop.run_until_complete(scenario(app, steps))

    try:
        run()
    finally:
        loop.run_until_complete(app.close())
        loop.close()
