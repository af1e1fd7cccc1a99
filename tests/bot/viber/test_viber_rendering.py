"""What a Viber user sees: texts and keyboards within Viber's limits, readable buttons,
long lists a page at a time, the share-phone button, and QR codes as pictures."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import zxingcpp
from PIL import Image

from bot.viber.keyboard import PRIMARY, SECONDARY, choice_keys, keyboard_for
from bot.viber.pictures import PictureLinks
from bot.viber.render import Renderer, sender_name
from ecitizen.app import build_app
from ecitizen.config import parse_config
from flows.engine.messages import Choice, ConversationKey, Expect, Msg, Outbound
from tests.bot.viber.test_viber_dialogue import registers
from tests.bot.viber.vb_support import SECRET, ViberBot, serve_viber
from tests.conftest import Clock
from tests.fakes.viber_api import FakeViberApi

ANA = ConversationKey("viber", "ana")


def contrast(background: str, foreground: str) -> float:
    def luminance(colour: str) -> float:
        r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

        def f(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)

    high, low = sorted((luminance(background), luminance(foreground)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def outbound(*texts: Msg, **fields: Any) -> Outbound:
    key = fields.pop("key", ANA)
    return Outbound(key=key, language=fields.pop("language", "sr-Cyrl"), text=texts, **fields)


async def test_a_message_longer_than_viber_allows_arrives_whole_in_several(bot: ViberBot) -> None:
    ana = bot.person("Ана")
    await ana.opens()
    await ana.says("/start")  # writing subscribes her
    paragraph = "Реч " * 1500  # 6,000 characters
    long_news = outbound(
        *(Msg.of("visit.time", time=f"{i}: {paragraph}") for i in range(3)),
        key=ConversationKey("viber", ana.user.id),
    )
    await bot.channel.delivery.deliver(long_news)

    pieces = ana.user.unread()
    assert len(pieces) == 3 and all(len(m.text) <= 7000 for m in pieces)
    assert [m.text.split(":")[0] for m in pieces] == ["0", "1", "2"]  # cut between paragraphs
    assert "".join(m.text for m in pieces).count("Реч") == 4500
    assert bot.api.refused == []


@pytest.fixture
async def long_day(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[ViberBot, FakeViberApi]]:
    """A hall open 07:00-19:00: 36 visit times a day, more than one Viber keyboard holds."""
    raw: dict[str, Any] = {
        "data": {"dir": str(tmp_path / "var")},
        "printers": {"file": {"kind": "file", "dir": "prints"}},
        "halls": [
            {
                # Its own code: slot lists are computed once per hall code and process.
                "code": "kg-long",
                "name": "Крагујевац, Градска управа",
                "name_en": "Kragujevac City Administration",
                "address": "Трг слободе 3, Крагујевац",
                "hours": {d: "07:00-19:00" for d in ("mon", "tue", "wed", "thu", "fri")},
            }
        ],
    }
    app = await build_app(parse_config(raw), clock=clock)
    async with FakeViberApi() as api:
        served = await serve_viber(app, api)
        yield served, api
        await served.close()


async def test_a_list_longer_than_a_keyboard_comes_a_page_at_a_time(
    long_day: tuple[ViberBot, FakeViberApi],
) -> None:
    bot, api = long_day
    ana = bot.person("Ана")
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    for answer in ("Ана", "Петровић", "0512981717776", "012345678"):
        await ana.says(answer)
    await ana.presses("Пошаљи мој број")
    await ana.presses("Прескочи")
    await ana.presses("Крагујевац")
    assert "У које време?" in await ana.presses("уторак")

    # the day's 36 times come 8 to a page from the flow itself (flows/conversations/booking.py)
    first = ana.buttons
    assert len(first) <= 24 and first[0] == "07:00" and "Касније ▶" in first
    while "18:40" not in ana.buttons:
        await ana.presses("Касније ▶")
    summary = await ana.presses("18:40")
    assert "Ваша пријава" in summary and "18:40" in summary
    assert api.refused == []  # no keyboard over Viber's limit was ever sent


def test_a_keyboard_longer_than_viber_allows_is_cut_into_pages_that_turn() -> None:
    """Viber shows at most 24 buttons: 40 choices come 22 to a page, with the page turns."""
    choices = tuple(Choice(f"c{i}", Msg.of("visit.time", time=f"{i:02d}")) for i in range(40))
    first = choice_keys(choices, "sr-Cyrl")
    assert (first.pages, len(first.labels)) == (2, 22)
    buttons = [b["Text"] for b in keyboard_for(first)["Buttons"]]
    assert len(buttons) <= 24 and any("Још" in b for b in buttons)
    second = choice_keys(choices, "sr-Cyrl", page=1)
    assert len(second.labels) == 18 and "39" in " ".join(second.labels)
    buttons = [b["Text"] for b in keyboard_for(second)["Buttons"]]
    assert len(buttons) <= 24 and any("Претходно" in b for b in buttons)


def test_buttons_are_readable_and_their_labels_fit() -> None:
    assert contrast(*PRIMARY) >= 4.5 and contrast(*SECONDARY) >= 4.5
    renderer = Renderer(PictureLinks(SECRET, "https://ecitizen.example"))
    long_label = "Градска управа Крагујевац, шалтер за еУправу у приземљу, " * 3
    [message] = renderer.render(
        outbound(
            Msg("reg.ask_hall"),
            choices=(
                Choice("a", Msg.of("visit.time", time=long_label)),
                Choice("yes", Msg("choice.yes")),
                Choice("cmd:cancel", Msg("choice.cancel")),
            ),
        )
    )
    assert message.keyboard is not None
    long_button, yes, cancel = message.keyboard["Buttons"]
    assert len(long_button["Text"]) <= 250 and "…" in long_button["Text"]
    assert long_button["ActionBody"] == long_label.strip()  # sent whole: the choice is known
    assert long_button["Rows"] == 2 and long_button["Columns"] == 6
    assert yes["BgColor"] == PRIMARY[0] and cancel["BgColor"] == SECONDARY[0]
    assert f'color="{PRIMARY[1]}"' in yes["Text"]


def test_the_sender_name_stays_within_vibers_28_characters() -> None:
    assert sender_name("еГрађанин") == "еГрађанин"
    long = sender_name("еГрађанин — услуга за грађане Крагујевца")
    assert len(long) == 28 and long.endswith("…")


async def test_the_phone_step_has_a_share_phone_button_at_api_level_3(bot: ViberBot) -> None:
    ana = bot.person("Ана")
    await ana.opens()
    for label in ("Постани еГрађанин", "ћирилица", "Настави", "Да"):
        await ana.presses(label)
    for answer in ("Ана", "Петровић", "0512981717776"):
        await ana.says(answer)
    question = await ana.says("012345678")
    assert "мобилног телефона" in question
    [asking] = ana.user.inbox[-1:]
    buttons = (asking.keyboard or {})["Buttons"]
    assert buttons[0]["ActionType"] == "share-phone" and asking.min_api_version >= 3
    assert ana.user.keyboard is not None
    assert asking.keyboard["InputFieldState"] == "regular"  # type: ignore[index]


@pytest.fixture
async def bot_with_telegram_too(
    make_app: Callable[..., Any], api: FakeViberApi
) -> AsyncIterator[ViberBot]:
    """Telegram configured as well: a registration's reply carries its deep link QR."""
    app = await make_app(telegram={"bot_username": "ecitizen_test_bot"})
    served = await serve_viber(app, api)
    yield served
    await served.close()


async def test_a_qr_code_arrives_as_a_picture_our_server_serves_for_a_while(
    bot_with_telegram_too: ViberBot, clock: Clock
) -> None:
    bot = bot_with_telegram_too
    ana = bot.person("Ана")
    await registers(ana)
    pictures = [m for m in ana.user.inbox if m.type == "picture"]
    assert len(pictures) == 1 and pictures[0].media is not None
    url = pictures[0].media
    assert url.startswith(bot.base_url + "/viber/qr/") and url.endswith(".png")

    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200 and response.content_type == "image/png"
            png = await response.read()
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert re.fullmatch(r"https://t\.me/ecitizen_test_bot\?start=r[\w-]+", code.text)

        # Another process (no memory shared) can tell it is ours: same secret, same answer.
        assert PictureLinks(SECRET, bot.base_url, clock).payload(url.rsplit("/", 1)[1]) == (
            code.text
        )
        token = url.rsplit("/", 1)[1]
        tampered = url.replace(token, ("A" if token[0] != "A" else "B") + token[1:])
        async with http.get(tampered) as response:
            assert response.status == 404
        clock.advance(days=8)
        async with http.get(url) as response:
            assert response.status == 404  # expired


def test_a_deep_link_into_this_bot_is_not_shown_as_a_picture_in_its_own_chat() -> None:
    renderer = Renderer(PictureLinks(SECRET, "https://ecitizen.example"))
    renderer.own_link = "viber://pa?chatURI=ecitizen-test&context="
    own = outbound(Msg("reg.bring"), qr="viber://pa?chatURI=ecitizen-test&context=rABC")
    assert [m.type for m in renderer.render(own)] == ["text"]


def test_a_yes_no_question_without_choices_gets_yes_and_no_buttons() -> None:
    renderer = Renderer(PictureLinks(SECRET, "https://ecitizen.example"))
    [message] = renderer.render(outbound(Msg("reg.bring"), expect=Expect.YES_NO))
    labels = [b["ActionBody"] for b in (message.keyboard or {})["Buttons"]]
    assert labels == ["Да", "Не"]


def test_expiry_of_pictures_is_a_week(clock: Clock) -> None:
    links = PictureLinks(SECRET, "https://ecitizen.example", clock)
    token = links.url("R7Q2-KG9A").rsplit("/", 1)[1]
    clock.advance(days=6)
    assert links.payload(token) == "R7Q2-KG9A"
    clock.advance(days=1, seconds=1)
    assert links.payload(token) is None
