"""The conversations know a channel only by what it answers (flows.engine.ports.ChannelPort):
which hall the conversation stands in, and what the channel can do. A channel the engine
has never heard of by name gets what its answers call for."""

from __future__ import annotations

from collections.abc import Callable

from ecitizen.app import CHANNELS, App
from flows.engine.channel_ports import ChannelTraits, PersonalChat
from flows.engine.messages import ConversationKey
from tests.dialogue import Chat
from tests.flows.test_queue_dialogue import take_ticket
from tests.flows.test_registration_dialogue import WORDS, register


class LobbyScreen:
    """A second screen a deployment might put in Belgrade's lobby, under a name of its own."""

    traits = ChannelTraits(
        opens_links=False, on_own_phone=False, reachable_later=False, shared_screen=True
    )

    def hall_of(self, key: ConversationKey) -> str | None:
        return "bg"


def wire(app: App, name: str, answers: LobbyScreen | PersonalChat) -> None:
    app.env.channels = {**CHANNELS, name: answers}


async def test_a_screen_that_stands_in_a_hall_gives_that_halls_numbers(
    app: App, chat: Callable[..., Chat]
) -> None:
    wire(app, "lobby", LobbyScreen())
    lobby = chat("anyone", "lobby")
    assert await take_ticket(lobby) == "B001"
    day = app.halls["bg"].local_day(app.env.clock())
    assert [t.label for t in await app.store.tickets("bg", day)] == ["B001"]
    assert await app.store.tickets("kg", day) == []
    # the hall's own menu, with no language question first: the screen has its own switch
    await lobby.command_language("sr-Cyrl")
    assert "Имам заказан термин" in lobby.text and "Моја пријава" not in lobby.text


async def test_a_chat_that_cannot_be_reached_later_is_not_promised_news(
    app: App, chat: Callable[..., Chat]
) -> None:
    wire(app, "booth", PersonalChat(ChannelTraits(reachable_later=False)))
    ana = chat("ana", "booth")
    ref = await register(ana, WORDS["sr-Cyrl"])
    assert "Овде ћете добијати обавештења о пријави" not in ana.text
    assert await app.store.links_of(ref) == []  # nothing will look for this chat
