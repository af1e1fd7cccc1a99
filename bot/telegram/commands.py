"""The bot's command menu (setMyCommands), in Serbian for Serbian clients, else English."""

from __future__ import annotations

from telegram import Bot, BotCommand

from flows.engine.i18n import text
from flows.engine.messages import Command

MENU: tuple[Command, ...] = (
    Command.START,
    Command.STATUS,
    Command.GUIDE,
    Command.LANGUAGE,
    Command.HELP,
    Command.BACK,
    Command.CANCEL,
    Command.RESTART,
)

# Telegram picks the menu by the client's language_code; None is everyone else.
MENU_LANGUAGES: dict[str | None, str] = {"sr": "sr-Cyrl", None: "en"}


def menu(language: str) -> list[BotCommand]:
    return [BotCommand(c.value, text(f"telegram.command.{c.value}", language)) for c in MENU]


async def publish_menus(bot: Bot) -> None:
    for code, language in MENU_LANGUAGES.items():
        await bot.set_my_commands(menu(language), language_code=code)
