"""Time, injectable: the application asks a Clock for "now"; tests and the demo drive it."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that knows the current time in the configured zone."""

    tz: ZoneInfo

    def now(self) -> datetime:
        """The current aware datetime in ``tz``."""
        ...


class SystemClock:
    """The real wall clock."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock that only moves when told to (tests, the demo)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None or not isinstance(start.tzinfo, ZoneInfo):
            raise ValueError("ManualClock needs a datetime with a ZoneInfo tzinfo")
        self.tz = start.tzinfo
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (converted to this clock's zone)."""
        self._now = moment.astimezone(self.tz)


def at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """The aware datetime of ``moment`` on ``day`` in ``tz``."""
    return datetime.combine(day, moment, tzinfo=tz)
