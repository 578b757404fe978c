"""Grid names that always say which grid: every community has a 第一网格.

Inside its own area a grid is called by its name. Read from anywhere above it, the name comes
with the name of the grid's own area (前进社区·第一网格), and where even that is shared by two
grids in view (two streets may each have a 前进社区) with the grid's code as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from bot.domain.models import Grid
from bot.i18n import Locale, t


def area_name(grid: Grid) -> str:
    """The name of the grid's own area (the last part of its path)."""
    return grid.area_path.rsplit("/", 1)[-1]


def name_key(grid: Grid) -> tuple[str, str]:
    """The name of the grid's own area and the grid's name: what it is called from above."""
    return area_name(grid), grid.name


def clashing(grids: Iterable[Grid]) -> frozenset[int]:
    """The ids of grids whose area name and grid name together are shared by another grid."""
    return clashes_among({grid.id: name_key(grid) for grid in grids})


def clashes_among(names: Mapping[int, tuple[str, str]]) -> frozenset[int]:
    """The grid ids (keys) whose name (see :func:`name_key`) another grid shares."""
    counts = Counter(names.values())
    if len(counts) == len(names):
        return frozenset()
    return frozenset(grid_id for grid_id, name in names.items() if counts[name] > 1)


def grid_name(
    grid: Grid,
    locale: Locale,
    *,
    within: str | None,
    clashes: frozenset[int] = frozenset(),
    inside: str | None = None,
) -> str:
    """The grid's name for a reader of area ``within`` (a path; None: outside every area,
    such as an admin's private chat). ``inside`` is an area the text already names (a
    heading), where the plain name is enough too; ``clashes`` (see :func:`clashing`) get
    their code."""
    if grid.area_path in (within, inside):
        return grid.name
    key = "gridname.in_area_code" if grid.id in clashes else "gridname.in_area"
    return t(locale, key, area=area_name(grid), grid=grid.name, code=grid.code)
