"""Conversions between Python values and their stored form (times, days, JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
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
    """Parse a stored JSON column. What is stored is compact (written by :func:`to_json` or
    SQLite's JSON functions), so the C scanner parses it directly: ``json.loads`` first looks
    for white space around the value with two regular expressions, which costs as much as
    parsing a short text (a digest of ten thousand grids parses about forty thousand).
    Anything the scanner does not take whole goes through ``json.loads`` (and its errors)."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The C scanner of a default decoder (typeshed does not declare the attribute)."""
