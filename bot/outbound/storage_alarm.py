"""The database refuses writes (disk full, read-only): the admins hear it once per spell.

Sends go straight to the Bot API (with the retry policy every send has), not through the
courier: the courier records each send in the database, which is what cannot be written.
A spell ends with the next write that succeeds (:class:`~storage.health.WriteRefused`
numbers them), so a new failure after recovery is told again.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.dependencies import Dependencies
from bot.i18n import t
from bot.telegram_ui import escape
from bot.usecases.errors import WriteRefused

log = logging.getLogger(__name__)

ADMIN_TEXT = {"disk_full": "reliability.storage.admin_disk_full"}
"""The admins' notice by what :func:`storage.health.classify` found; otherwise read-only."""


class StorageAlarm:
    """Tells the admins (GRIDBOT_ADMINS) once per spell of refused writes."""

    def __init__(self, deps: Dependencies, bot: Bot) -> None:
        self.deps = deps
        self.bot = bot
        self._told = 0

    async def raise_for(self, refused: WriteRefused) -> None:
        """Log one line and tell the admins, unless this spell was told already."""
        if refused.spell <= self._told:
            return
        self._told = refused.spell
        log.error("the database %s refuses writes: %s", refused.path, refused.__cause__)
        locale = self.deps.settings.locale
        key = ADMIN_TEXT.get(refused.reason, "reliability.storage.admin_read_only")
        text = t(locale, key, path=escape(refused.path))
        for admin in sorted(self.deps.settings.admins):
            try:
                await self.bot.send_message(admin, text)
            except TelegramError as failure:
                log.warning("could not tell admin %s that writes fail: %s", admin, failure)
