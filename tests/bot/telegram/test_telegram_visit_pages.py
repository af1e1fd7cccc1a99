"""The visit times in Telegram: a few rows of times and a row of page turns, and turning
the page changes the same message instead of adding one per page."""

from __future__ import annotations

from tests.bot.telegram.tg_support import Person, TelegramBot, settle
from tests.fakes.bot_api_users import BotMessage


def rows(message: BotMessage) -> list[list[str]]:
    """The inline keyboard as the person sees it, row by row."""
    keyboard = (message.markup or {}).get("inline_keyboard", [])
    return [[button["text"] for button in row] for row in keyboard]


async def up_to_the_times(ana: Person) -> BotMessage:
    await ana.starts()
    await ana.presses("Постани еГрађанин")
    await ana.presses("ћирилица")
    await ana.presses("Настави")
    await ana.presses("Да")
    for answer in ("Ана", "Петровић", "0512981717776", "012345678", "064 123 4567"):
        await ana.says(answer)
    await ana.presses("Прескочи")
    await ana.presses("Крагујевац")
    assert "У које време?" in await ana.presses("уторак")
    times = ana.user.last()
    assert times is not None
    return times


async def test_the_times_come_in_rows_with_the_page_turns_in_a_row_of_their_own(
    bot: TelegramBot,
) -> None:
    ana = bot.person("Ана")
    times = await up_to_the_times(ana)
    assert rows(times) == [
        ["08:00", "08:20", "08:40", "09:00"],
        ["09:20", "09:40", "10:00", "10:20"],
        ["Касније ▶"],
    ]

    assert await ana.presses("Касније ▶") == ""  # no new message: this one turns its page
    assert "од 10:40 до 13:00" in times.text and "У које време?" in times.text
    assert rows(times) == [
        ["10:40", "11:00", "11:20", "11:40"],
        ["12:00", "12:20", "12:40", "13:00"],
        ["◀ Раније", "Касније ▶"],
    ]
    await ana.presses("Касније ▶")
    assert rows(times)[-1] == ["◀ Раније"]
    assert "Ваш избор" not in times.text  # a page turn is no answer

    summary = await ana.presses("15:40")
    assert "Ваша пријава" in summary and "15:40" in summary
    assert rows(times) == []  # answered: the keyboard is gone, the choice is written under it
    assert "Ваш избор: 15:40" in times.text


async def test_a_page_turn_pressed_twice_shows_that_page_once(bot: TelegramBot) -> None:
    ana = bot.person("Ана")
    times = await up_to_the_times(ana)
    later = next(data for label, data in times.inline_buttons if label == "Касније ▶")
    ana.user.press_inline(times, later)
    ana.user.press_inline(times, later)  # a double tap, before the first is answered
    await settle(bot.api, bot.channel)
    assert ana.user.unread() == []  # nothing new: no refusal, no second copy of the page
    assert rows(times)[0] == ["10:40", "11:00", "11:20", "11:40"]
    await ana.presses("Касније ▶")
    assert rows(times)[0] == ["13:20", "13:40", "14:00", "14:20"]
