"""Which grids a ledger, a statistic or a "who is late" list covers on a day, and which
areas each lies in. Pure: storage reads the scope and counts its grid-days the same way
(:mod:`storage.grid_days`, :mod:`storage.ledger_export`).

A grid is expected to report on a day when it is active, was on the roster by then and the
day is a reporting day (``GRIDBOT_REPORT_DAYS``). A grid that reported is always listed,
expected or not (a report is never hidden); one that is not expected and did not report is
left out, so it is neither missing nor counted. The status of each grid-day and the
completeness figures come from :mod:`bot.domain.status`.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from bot.domain.models import Area, Grid
from bot.domain.roster import normalize_area_path


@dataclass(frozen=True, slots=True)
class RosterGrid:
    """A grid and the first day it was on the roster (in the configured zone)."""

    grid: Grid
    since: date


def contains(area: Area, grid: Grid) -> bool:
    """Whether ``grid`` lies in ``area`` or below it."""
    return area.covers(grid.area_path)


def areas_within(areas: Iterable[Area], area: Area) -> list[Area]:
    """Those of ``areas`` that are ``area`` or lie below it, in the order given."""
    return [item for item in areas if area.covers(item.path)]


@dataclass(frozen=True)
class Scope:
    """The part of the tree a command covers: an area and everything below it, or, with
    ``area`` None, the whole tree."""

    area: Area | None
    areas: tuple[Area, ...]
    """The areas covered (``area`` first, then those below it), by path."""
    grids: tuple[RosterGrid, ...]
    """The grids covered, active or not, by area path and code."""
    report_days: frozenset[int] = frozenset(range(1, 8))
    """ISO weekdays on which grids are expected to report."""

    @cached_property
    def _membership(self) -> dict[int, list[Area]]:
        """Grid id -> the covered areas it lies in (computed once: a ledger asks per row)."""
        return {
            item.grid.id: [area for area in self.areas if contains(area, item.grid)]
            for item in self.grids
        }

    @property
    def grid_ids(self) -> list[int]:
        """The ids of the grids covered."""
        return [item.grid.id for item in self.grids]

    def areas_of(self, grid: Grid) -> Sequence[Area]:
        """The covered areas that ``grid`` lies in, top first."""
        return self._membership.get(grid.id, ())

    def is_reporting_day(self, day: date) -> bool:
        """Whether grids are expected to report on ``day``."""
        return day.isoweekday() in self.report_days

    def expects(self, item: RosterGrid, day: date) -> bool:
        """Whether the grid was expected to report on ``day`` (see the module docstring)."""
        return self.is_reporting_day(day) and item.grid.active and item.since <= day

    def listed(self, day: date, reported: Container[int]) -> list[RosterGrid]:
        """The grids a list of ``day`` shows, in scope order: the expected ones, and any
        other whose id is in ``reported``."""
        return [item for item in self.grids if item.grid.id in reported or self.expects(item, day)]


def find_area(areas: Sequence[Area], text: str) -> Area | None:
    """The area named by ``text``: its full path (``学院南路街道/前进社区``), or the last part
    of a path (``前进社区``) when only one area has that name."""
    path = normalize_area_path(text)
    for area in areas:
        if area.path == path:
            return area
    named = [area for area in areas if area.name == path]
    return named[0] if len(named) == 1 else None
