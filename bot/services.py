"""The application's dependencies, built once and handed to the handlers (ports and adapters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock, at
from bot.config import Settings
from bot.domain.form import Form
from bot.i18n import Locale, pick_locale
from storage.db import Database


@dataclass(frozen=True)
class Services:
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
