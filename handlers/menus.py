"""The command menus Telegram shows: for private chats, for groups and for each admin's chat,
in the default language and in each supported language."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, Forbidden

from bot.i18n import LOCALES, Locale, short_lang, t

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = ("report", "zero", "template", "status", "correct", "away", "cancel", "help")
GROUP_COMMANDS = ("digest", "chart", "late", "stats", "excuse", "fix", "bindgroup", "help")
ADMIN_COMMANDS = (
    *PRIVATE_COMMANDS,
    "export",
    "stats",
    "chart",
    "late",
    "grids",
    "invite",
    "digest",
    "backup",
)


async def register_menus(bot: Bot, default: Locale, admins: Iterable[int]) -> None:
    """Every menu; an admin who has never opened the bot gets theirs on their first /start."""
    await _register(bot, BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS, default)
    await _register(bot, BotCommandScopeAllGroupChats(), GROUP_COMMANDS, default)
    for admin in sorted(admins):
        await register_admin_menu(bot, admin, default)


async def register_admin_menu(bot: Bot, admin: int, default: Locale) -> None:
    """The admin commands in one admin's private chat (skipped while Telegram does not know
    the chat yet)."""
    try:
        await _register(bot, BotCommandScopeChat(admin), ADMIN_COMMANDS, default)
    except (BadRequest, Forbidden) as failure:
        log.info("admin %s has no chat with the bot yet (%s): menu on their /start", admin, failure)


async def _register(
    bot: Bot, scope: BotCommandScope, names: tuple[str, ...], default: Locale
) -> None:
    await bot.set_my_commands(_commands(default, names), scope=scope)
    for locale in LOCALES:
        await bot.set_my_commands(
            _commands(locale, names), scope=scope, language_code=short_lang(locale)
        )


def _commands(locale: Locale, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, t(locale, f"commands.{name}")) for name in names]
