"""The day's plan: which scheduled sends happen when, in the configured zone. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import at
from bot.config import Settings

SINCE_KEY = "scheduler_since"
"""Meta key: when the scheduler first ran on this database (the first day of operation)."""
MIN_WINDOW = timedelta(minutes=1)
"""A send is always worth making for at least this long after its time."""


class SendKind(StrEnum):
    """The kinds of scheduled send."""

    PROMPT = "prompt"
    REMIND = "remind"
    LATE_NAG = "late_nag"
    ESCALATE = "escalate"
    DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class PlannedSend:
    """One scheduled send of a day: due ``at``, worth sending until (not at) ``valid_until``."""

    kind: SendKind
    day: date
    at: datetime
    valid_until: datetime
    number: int = 0

    @property
    def key(self) -> str:
        """The send-log kind: ``remind_2`` for the second reminder, else the kind itself."""
        return f"{self.kind.value}_{self.number}" if self.kind == SendKind.REMIND else self.kind


@dataclass(frozen=True, slots=True)
class DailyTimes:
    """The schedule settings that the plan depends on."""

    tz: ZoneInfo
    prompt_at: time
    remind_at: tuple[time, ...]
    deadline: time
    escalate_at: time
    digest_at: time
    report_days: frozenset[int]
    digest_grace: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> DailyTimes:
        """The schedule part of the settings."""
        return cls(
            tz=settings.timezone,
            prompt_at=settings.prompt_at,
            remind_at=settings.remind_at,
            deadline=settings.deadline,
            escalate_at=settings.escalate_at,
            digest_at=settings.digest_at,
            report_days=settings.report_days,
            digest_grace=timedelta(hours=settings.digest_grace_hours),
        )

    def is_reporting_day(self, day: date) -> bool:
        """Whether grids report on ``day`` (by ISO weekday)."""
        return day.isoweekday() in self.report_days

    def times_of_day(self) -> list[time]:
        """Every distinct time of day at which something may be due (for cron triggers)."""
        moments = {self.prompt_at, *self.remind_at, self.deadline, self.escalate_at, self.digest_at}
        return sorted(moments)


def day_plan(times: DailyTimes, day: date) -> list[PlannedSend]:
    """Everything scheduled on ``day``, in time order; nothing on a non-reporting day.

    Each send is only worth making until the next one of its family takes over (then it is
    recorded as skipped): a prompt
    until the first reminder, a reminder until the next reminder or the deadline, the late
    nag until escalation, escalation until the digest, the digest for the grace period.
    """
    if not times.is_reporting_day(day):
        return []

    def moment(of: time) -> datetime:
        return at(day, of, times.tz)

    def window(start: datetime, end: datetime) -> datetime:
        return max(end, start + MIN_WINDOW)

    nags = [moment(of) for of in times.remind_at]
    deadline, escalate, digest = (
        moment(times.deadline),
        moment(times.escalate_at),
        moment(times.digest_at),
    )
    first_nag = nags[0] if nags else deadline
    prompt = moment(times.prompt_at)
    plan = [PlannedSend(SendKind.PROMPT, day, prompt, window(prompt, first_nag))]
    for number, nag in enumerate(nags, start=1):
        following = nags[number] if number < len(nags) else deadline
        plan.append(PlannedSend(SendKind.REMIND, day, nag, window(nag, following), number))
    plan += [
        PlannedSend(SendKind.LATE_NAG, day, deadline, window(deadline, escalate)),
        PlannedSend(SendKind.ESCALATE, day, escalate, window(escalate, digest)),
        PlannedSend(SendKind.DIGEST, day, digest, window(digest, digest + times.digest_grace)),
    ]
    return sorted(plan, key=lambda item: item.at)
