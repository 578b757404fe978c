"""Conversions between Python values and their stored form (times, days, JSON)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any


def to_db_time(moment: datetime) -> str:
    """An aware datetime as stored: ISO-8601 in UTC (``2024-05-01T09:00:00+00:00``)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware datetime")
    return moment.astimezone(UTC).isoformat()


def from_db_time(text: str) -> datetime:
    """A stored timestamp back as an aware datetime in UTC."""
    return datetime.fromisoformat(text)


def to_db_day(day: date) -> str:
    """A day as stored: ISO date."""
    return day.isoformat()


def from_db_day(text: str) -> date:
    """A stored day back as a date."""
    return date.fromisoformat(text)


def to_json(value: object) -> str:
    """Compact JSON, non-ASCII kept readable (names are Chinese)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> Any:
    """Parse a stored JSON column."""
    return json.loads(text)
