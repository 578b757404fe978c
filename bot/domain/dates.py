"""Day arguments typed by admins and supervisors: ``2026-11-22``, ``11-22``, ``today``,
``yesterday``, ``7d`` (the last 7 days, today included), and ranges made of them.

Phone input is forgiving: full-width digits, ``/`` or ``.`` between the parts, and the Chinese
words 今天 / 昨天 / ``7天`` are understood. A bad argument raises :class:`DateArgError`, whose
key names a catalog message that shows examples.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DEFAULT_DAYS = 7
"""The range /stats, /export and ``gridbot export`` cover when no day is given."""
MAX_DAYS = 3660
"""The longest ``Nd`` accepted (ten years)."""

_TODAY = {"today", "今天", "今日"}
_YESTERDAY = {"yesterday", "昨天", "昨日"}
_LAST_DAYS = re.compile(r"^(\d{1,4})(?:d|天|日)$")
_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")
_DATE_LIKE = re.compile(r"^[\d\-/.]+$")


class DateArgError(ValueError):
    """A day argument that cannot be used; ``key`` is an ``export.date.*`` catalog key."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class DayRange:
    """The days ``first`` to ``last``, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"{self.first} is after {self.last}")

    @classmethod
    def last_days(cls, count: int, today: date) -> DayRange:
        """The ``count`` days ending with ``today``."""
        return cls(today - timedelta(days=count - 1), today)

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> Iterator[date]:
        """Each day, in order."""
        for offset in range(len(self)):
            yield self.first + timedelta(days=offset)


def _clean(text: str) -> str:
    """Full-width digits and punctuation to ASCII, lower case, no surrounding spaces."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def is_day_arg(text: str) -> bool:
    """Whether ``text`` is meant as a day (it may still be a wrong one)."""
    cleaned = _clean(text)
    return (
        cleaned in _TODAY
        or cleaned in _YESTERDAY
        or bool(_LAST_DAYS.match(cleaned))
        or bool(_DATE_LIKE.match(cleaned))
    )


def last_days_count(text: str) -> int | None:
    """N for ``Nd`` / ``N天``; None for anything else. Raises for N out of range."""
    match = _LAST_DAYS.match(_clean(text))
    if match is None:
        return None
    count = int(match.group(1))
    if not 1 <= count <= MAX_DAYS:
        raise DateArgError("export.date.bad_count", text=text.strip(), max=MAX_DAYS)
    return count


def parse_day(text: str, today: date) -> date:
    """The day ``text`` stands for; ``Nd`` is the first of the last N days.

    A month and day without a year is the latest such date not after ``today``.
    """
    cleaned = _clean(text)
    if cleaned in _TODAY:
        return today
    if cleaned in _YESTERDAY:
        return today - timedelta(days=1)
    count = last_days_count(cleaned)
    if count is not None:
        return DayRange.last_days(count, today).first
    if match := _FULL.match(cleaned):
        parts = [int(part) for part in match.groups() if part is not None]
        return _date(text, parts[0], parts[1], parts[2])
    if match := _MONTH_DAY.match(cleaned):
        month, day = int(match.group(1)), int(match.group(2))
        found = _date(text, today.year, month, day)
        return found if found <= today else _date(text, today.year - 1, month, day)
    raise DateArgError("export.date.bad", text=text.strip())


def _date(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateArgError("export.date.bad", text=text.strip()) from None


def parse_range(tokens: Sequence[str], today: date, *, default_days: int) -> DayRange:
    """The days of up to two day arguments.

    None: the last ``default_days`` days. One: that day, or the last N days for ``Nd``.
    Two: from the first to the second. Days after ``today`` are refused.
    """
    if len(tokens) > 2:
        raise DateArgError("export.date.too_many")
    if not tokens:
        return DayRange.last_days(default_days, today)
    if len(tokens) == 1 and (count := last_days_count(tokens[0])) is not None:
        return DayRange.last_days(count, today)
    days = [parse_day(token, today) for token in tokens]
    for token, day in zip(tokens, days, strict=True):
        if day > today:
            raise DateArgError("export.date.future", text=token.strip(), today=today.isoformat())
    first, last = days[0], days[-1]
    if first > last:
        raise DateArgError("export.date.reversed", first=first.isoformat(), last=last.isoformat())
    return DayRange(first, last)


def split_day_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """The leading day arguments and the rest (e.g. an area path)."""
    count = 0
    while count < len(args) and is_day_arg(args[count]):
        count += 1
    return list(args[:count]), list(args[count:])


def time_left(now: datetime, deadline: datetime) -> tuple[int, int] | None:
    """Hours and minutes from ``now`` to ``deadline``, to the nearest minute (a reminder
    sent a moment after 15:00 for 17:00 says 2 hours, not 1 hour 59); None once it has
    passed (a report filed at the deadline itself is still on time)."""
    if now > deadline:
        return None
    minutes = round((deadline - now).total_seconds() / 60)
    return minutes // 60, minutes % 60
