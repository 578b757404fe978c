"""What a use case refuses, as values the front ends turn into a message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.models import Report
from bot.domain.rules import Violation
from storage.health import WriteRefused

__all__ = [
    "ChangedMeanwhile",
    "FutureDay",
    "NotRegistered",
    "RulesRejected",
    "UseCaseError",
    "WriteRefused",
]
"""``WriteRefused`` (the disk refused a write: nothing of the use case was stored) is raised
by any use case that writes; the front ends tell the person it was not saved."""


class UseCaseError(Exception):
    """A refusal with a message: ``key`` is a catalog key, ``params`` its placeholders
    (raw values: a chat front end escapes them)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


class NotRegistered(UseCaseError):
    """The Telegram user is not an active worker of the roster."""

    def __init__(self) -> None:
        super().__init__("common.not_registered")


class RulesRejected(UseCaseError):
    """The values break hard rules of the form: nothing was written."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__("checkin.fix_before_submit")
        self.violations = tuple(violations)


class FutureDay(UseCaseError):
    """A day after today where only today or earlier makes sense."""

    def __init__(self, day: date, today: date) -> None:
        super().__init__("supervision.future_day", value=day.isoformat(), today=today)
        self.day = day


class ChangedMeanwhile(UseCaseError):
    """The report has a newer version than the one the correction was made from: nothing
    was written; ``report`` is the report as it is now."""

    def __init__(self, report: Report) -> None:
        super().__init__("reliability.correction_conflict")
        self.report = report
