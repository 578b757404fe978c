"""The arguments of ``/chart [7d|14d|30d|90d] [FIELD] [AREA]``, understood or refused.

Words may come in any order: a period (``30d``, ``30``, ``30天``), a number field of the form
(its key or its label in either language), and whatever is left is the area's name or path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.chart import DIGEST_DAYS, PERIODS
from bot.domain.form import FieldDef, Form

_PERIOD = re.compile(r"^(\d+)\s*(d|day|days|天)?$", re.IGNORECASE)


class ChartArgError(ValueError):
    """An argument that cannot be used: a catalog key and its parameters."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class ChartArgs:
    """What was asked: how many reporting days, which field (None: the overview), which
    area (None: the group's own, or for an admin the whole tree)."""

    days: int = DIGEST_DAYS
    field: str | None = None
    area: str | None = None


def parse_chart_args(args: Sequence[str], form: Form) -> ChartArgs:
    """Read the words after ``/chart``; raises :class:`ChartArgError` with what was wrong."""
    days: int | None = None
    chosen: str | None = None
    rest: list[str] = []
    for word in (item.strip() for item in args if item.strip()):
        period = _PERIOD.match(word)
        if period is not None:
            if days is not None or int(period.group(1)) not in PERIODS:
                raise ChartArgError("chart.bad_period", value=word)
            days = int(period.group(1))
            continue
        found = number_field(form, word)
        if found is not None and chosen is None:
            chosen = found.key
            continue
        rest.append(word)
    area = " ".join(rest) or None
    return ChartArgs(days or DIGEST_DAYS, chosen, area)


def number_field(form: Form, word: str) -> FieldDef | None:
    """The count or stock field ``word`` names (key, or label in either language)."""
    wanted = word.casefold()
    for item in form.fields:
        if item.kind not in ("count", "stock"):
            continue
        if wanted in {item.key.casefold(), item.label.zh.casefold(), item.label.en.casefold()}:
            return item
    return None


def field_keys(form: Form) -> list[str]:
    """The keys ``/chart`` accepts as FIELD, in form order."""
    return [item.key for item in form.fields if item.kind in ("count", "stock")]
