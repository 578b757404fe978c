"""The dependency container: settings, database, form and clock, built once at start-up and
handed to the handlers, the outbound sends and the commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock, SystemClock, at
from bot.config import Settings
from bot.domain.form import Form, load_form
from bot.i18n import Locale, pick_locale
from storage.db import Database


@dataclass(frozen=True)
class Dependencies:
    """Settings, storage, the form and the clock: everything a handler needs besides Telegram."""

    settings: Settings
    db: Database
    form: Form
    clock: Clock

    def now(self) -> datetime:
        """Now, in the configured zone."""
        return self.clock.now()

    def today(self) -> date:
        """The reporting day: the configured zone's date."""
        return self.clock.now().date()

    def deadline(self, day: date) -> datetime:
        """The moment after which ``day``'s report counts as late."""
        return at(day, self.settings.deadline, self.settings.timezone)

    def is_late(self, day: date, moment: datetime) -> bool:
        """Whether a report for ``day`` submitted at ``moment`` is late."""
        return moment > self.deadline(day)

    def is_admin(self, telegram_id: int) -> bool:
        """Admins come from GRIDBOT_ADMINS, plus those granted in chat (/grantadmin); the
        grants are checked in memory, so this is cheap enough for every update."""
        return telegram_id in self.settings.admins or self.db.admins.is_granted(telegram_id)

    def locale_for(self, language_code: str | None) -> Locale:
        """A user's language from Telegram's language_code, else GRIDBOT_LOCALE."""
        return pick_locale(language_code, self.settings.locale)


@asynccontextmanager
async def open_dependencies(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Dependencies]:
    """Open the database and load the form; close the database afterwards."""
    form = load_form(settings.form)
    db = await Database.open(settings.db)
    try:
        await db.figures.attach(form)
        yield Dependencies(settings, db, form, clock or SystemClock(settings.timezone))
    finally:
        await db.close()
