"""The dependency container: settings, database (with the form versions) and clock, built
once at start-up and handed to the handlers, the outbound sends and the commands."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock, SystemClock, at
from bot.config import Settings
from bot.domain.form import DEFAULT_FORM_NAME, Form, read_form_text
from bot.domain.form_versions import FormHistory
from bot.form_changes import adopt_form_file
from bot.i18n import Locale, pick_locale
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dependencies:
    """Settings, storage and the clock: everything a handler needs besides Telegram.

    The forms come from the database (every version the bot has run with): a report is
    always read with :meth:`form_for` its day.
    """

    settings: Settings
    db: Database
    clock: Clock

    @property
    def forms(self) -> FormHistory:
        """Every form version, each with the first day it is in force."""
        return self.db.forms.history

    def form_for(self, day: date) -> Form:
        """The form in force on ``day``."""
        return self.db.forms.history.form_for(day)

    @property
    def form(self) -> Form:
        """Today's form (what a report filed now is asked)."""
        return self.form_for(self.today())

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
    """Open the database and register the form file (see :mod:`bot.form_changes`); close the
    database afterwards."""
    text = read_form_text(settings.form)
    clock = clock or SystemClock(settings.timezone)
    db = await Database.open(settings.db)
    try:
        now = clock.now()
        name = str(settings.form or DEFAULT_FORM_NAME)
        changed = (await adopt_form_file(db, text, name, today=now.date(), now=now)).version
        if changed is not None and changed.since is not None:  # not the first version
            log.info("form file %s is form version %s from %s", name, changed.number, changed.since)
        await db.figures.attach(db.forms.history)
        yield Dependencies(settings, db, clock)
    finally:
        await db.close()
