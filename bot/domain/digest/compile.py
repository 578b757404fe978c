"""Compile a :class:`DigestInput` into a :class:`Digest`: pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.digest.figures import (
    GridNumbers,
    Ranking,
    combined,
    corrections_since,
    prevalence,
    totals,
)
from bot.domain.digest.model import (
    AreaLine,
    Attention,
    Correction,
    Digest,
    DigestInput,
    Figure,
    GridInput,
    GridLine,
    MissingGrid,
    NegativeStock,
    ReportingStatus,
    Request,
)
from bot.domain.form import Form
from bot.domain.grid_names import clashing
from bot.domain.models import Area, Grid, ReportKind
from bot.domain.status import Completeness, GridDay

_Numbered = tuple[GridInput, GridNumbers]


@dataclass
class _Tree:
    """What the digests of one evening share: each grid's numbers and line figures (the same
    at every level), and each area's digest and prevalence (a parent reuses its sub-areas')."""

    numbers: dict[int, GridNumbers] = field(default_factory=dict)
    lines: dict[int, tuple[Figure, ...]] = field(default_factory=dict)
    seen: dict[int, dict[str, int]] = field(default_factory=dict)
    digests: dict[int, Digest] = field(default_factory=dict)


@dataclass(frozen=True)
class _Groups:
    """An area's grids by sub-area, and those directly under it."""

    by_area: dict[int, list[_Numbered]]
    direct: list[_Numbered]
    place: Callable[[Grid], Area | None]
    """The sub-area of a grid (None: directly under the area)."""


def compile_digest(data: DigestInput) -> Digest:
    """The digest of ``data.area`` for ``data.day``; grids ordered by area path, then code."""
    return compile_tree([data])[data.area.id]


def compile_tree(inputs: Sequence[DigestInput]) -> dict[int, Digest]:
    """The digests of several areas for one day, by area id (the evening's whole tree).

    Deepest areas first: each grid's numbers and line are computed once for all the areas it
    lies in, and a parent's totals, prevalence and roll-up line for a sub-area reuse that
    sub-area's own.
    """
    tree = _Tree()
    for data in sorted(inputs, key=lambda item: -item.area.path.count("/")):
        tree.digests[data.area.id] = _compile(data, tree)
    return tree.digests


def _compile(data: DigestInput, tree: _Tree) -> Digest:
    items = sorted(data.grids, key=lambda item: (item.grid.area_path, item.grid.code))
    form = data.forms.form_for(data.day)
    numbered = [(item, _numbers(form, item, tree.numbers)) for item in items]
    groups = _grouped(data.sub_areas, numbered)
    seen = tree.seen[data.area.id] = _prevalence(form, data, groups, tree)
    ranking = Ranking(form, seen)
    sub_areas = _roll_up(data, groups, ranking, tree)
    texts = [field.key for field in form.fields if field.kind == "text"]
    return Digest(
        form=form,
        forms=data.forms,
        area=data.area,
        day=data.day,
        tz=data.tz,
        status=_status(items),
        attention=_attention(data, numbered),
        totals=combined([line.totals for line in sub_areas])
        if sub_areas
        else totals(data.forms, data.day, _pairs(numbered)),
        sub_areas=sub_areas,
        grids=tuple(
            _grid_line(data, item, numbers, groups.place(item.grid), tree)
            for item, numbers in numbered
        ),
        corrections=_corrections(data, items),
        requests=tuple(request for item in items for request in _requests(texts, item)),
        weekly=data.weekly,
        clashes=clashing(item.grid for item in items),
    )


def _numbers(form: Form, item: GridInput, cache: dict[int, GridNumbers]) -> GridNumbers:
    found = cache.get(item.grid.id)
    if found is None:
        found = cache[item.grid.id] = GridNumbers.of(form, item)
    return found


def _grouped(sub_areas: Sequence[Area], numbered: Sequence[_Numbered]) -> _Groups:
    """The grids by sub-area (each area path is placed once)."""
    placed: dict[str, Area | None] = {}

    def place(grid: Grid) -> Area | None:
        path = grid.area_path
        if path not in placed:
            placed[path] = sub_area_of(grid, sub_areas)
        return placed[path]

    by_area: dict[int, list[_Numbered]] = {area.id: [] for area in sub_areas}
    direct: list[_Numbered] = []
    for pair in numbered:
        area = place(pair[0].grid)
        (direct if area is None else by_area[area.id]).append(pair)
    return _Groups(by_area, direct, place)


def _reusable(tree: _Tree, area: Area, day: date, group: Sequence[_Numbered]) -> Digest | None:
    """The sub-area's own digest, when it was compiled for the same day and grids."""
    child = tree.digests.get(area.id)
    if child is not None and child.day == day and len(child.grids) == len(group):
        return child
    return None


def _prevalence(form: Form, data: DigestInput, groups: _Groups, tree: _Tree) -> dict[str, int]:
    """:func:`prevalence` over the area's grids, added up from its sub-areas' where known."""
    parts = [prevalence(form, (item for item, _ in groups.direct))]
    for area in data.sub_areas:
        group = groups.by_area[area.id]
        if _reusable(tree, area, data.day, group) is not None:
            parts.append(tree.seen[area.id])
        else:
            parts.append(prevalence(form, (item for item, _ in group)))
    return {key: sum(part[key] for part in parts) for key in parts[0]}


def sub_area_of(grid: Grid, sub_areas: Sequence[Area]) -> Area | None:
    """The sub-area a grid lies in (at any depth), or None when it is directly under the area."""
    for area in sub_areas:
        if area.covers(grid.area_path):
            return area
    return None


def _status(items: Sequence[GridInput]) -> ReportingStatus:
    """The area's reporting status, its grids sorted into each list in one pass."""
    days = [item.today for item in items]
    yesterdays = [item.yesterday for item in items if item.yesterday is not None]
    on_time: list[GridDay] = []
    late: list[GridDay] = []
    zero: list[GridDay] = []
    excused: list[GridDay] = []
    missing: list[MissingGrid] = []
    for item in items:
        day = item.today
        if day.report is not None:
            (late if day.report.late else on_time).append(day)
            if day.report.kind == ReportKind.ZERO:
                zero.append(day)
        elif day.excused_reason is not None:
            excused.append(day)
        else:
            before = item.yesterday
            again = before is not None and before.is_missing
            missing.append(MissingGrid(day, item.workers, again, item.unreachable))
    return ReportingStatus(
        completeness=Completeness.from_grid_days(days),
        yesterday=Completeness.from_grid_days(yesterdays) if yesterdays else None,
        on_time=tuple(on_time),
        late=tuple(late),
        zero=tuple(zero),
        missing=tuple(missing),
        excused=tuple(excused),
    )


def _attention(data: DigestInput, numbered: Sequence[_Numbered]) -> Attention:
    incidents = sorted(data.incidents, key=lambda incident: (incident.acknowledged, incident.at))
    stocks = [stock.key for stock in data.forms.form_for(data.day).stocks()]
    negative = tuple(
        NegativeStock(item.grid, key, numbers.stocks[key])
        for item, numbers in numbered
        for key in stocks
        if numbers.stocks[key] < 0
    )
    return Attention(tuple(incidents), negative)


def _roll_up(
    data: DigestInput, groups: _Groups, ranking: Ranking, tree: _Tree
) -> tuple[AreaLine, ...]:
    """One line per sub-area, then one for grids directly under the area (when there are).
    A sub-area whose digest was compiled for the same day lends its totals."""
    if not data.sub_areas:
        return ()
    lines = []
    for area in data.sub_areas:
        group = groups.by_area[area.id]
        child = _reusable(tree, area, data.day, group)
        if child is not None:
            lines.append(_reused_line(area, child, ranking))
        else:
            lines.append(_area_line(data, area, group, ranking))
    if groups.direct:
        lines.append(_area_line(data, data.area, groups.direct, ranking, direct=True))
    return tuple(lines)


def _reused_line(area: Area, child: Digest, ranking: Ranking) -> AreaLine:
    return AreaLine(
        area=area,
        direct=False,
        completeness=child.status.completeness,
        totals=child.totals,
        figures=ranking.pick(child.totals.figures()),
    )


def _area_line(
    data: DigestInput,
    area: Area,
    group: Sequence[_Numbered],
    ranking: Ranking,
    *,
    direct: bool = False,
) -> AreaLine:
    area_totals = totals(data.forms, data.day, _pairs(group))
    return AreaLine(
        area=area,
        direct=direct,
        completeness=Completeness.from_grid_days(item.today for item, _ in group),
        totals=area_totals,
        figures=ranking.pick(area_totals.figures()),
    )


def _grid_line(
    data: DigestInput, item: GridInput, numbers: GridNumbers, sub_area: Area | None, tree: _Tree
) -> GridLine:
    report = item.today.report
    return GridLine(
        today=item.today,
        yesterday=item.yesterday,
        sub_area=sub_area,
        figures=() if report is None else _line_figures(data, item, numbers, tree.lines),
        incidents=0 if report is None else len(report.current.incidents),
    )


def _line_figures(
    data: DigestInput,
    item: GridInput,
    numbers: GridNumbers,
    cache: dict[int, tuple[Figure, ...]],
) -> tuple[Figure, ...]:
    """A grid's line is chosen by how rarely each figure is non-zero in the grid's own
    reports, so the grid has the same line in its community's digest and every one above
    (chosen once for all of them)."""
    found = cache.get(item.grid.id)
    if found is None:
        form = data.forms.form_for(data.day)
        seen = {key: run.nonzero for key, run in item.runs.items()}
        found = Ranking(form, seen).pick(numbers.figures())
        cache[item.grid.id] = found
    return found


def _corrections(data: DigestInput, items: Sequence[GridInput]) -> tuple[Correction, ...]:
    found = [
        correction
        for item in items
        for correction in corrections_since(
            item.grid,
            (report for report in item.corrected if report.day <= data.day),
            data.corrections_since,
        )
    ]
    return tuple(sorted(found, key=lambda correction: correction.at))


def _requests(text_keys: Sequence[str], item: GridInput) -> list[Request]:
    """The non-empty answers to the form's text fields in the grid's report of the day."""
    report = item.today.report
    if report is None:
        return []
    values = report.current.values
    requests = []
    for key in text_keys:
        value = values.get(key)
        if isinstance(value, str) and value.strip():
            requests.append(Request(item.grid, key, value.strip()))
    return requests


def _pairs(numbered: Sequence[_Numbered]) -> list[tuple[Grid, GridNumbers]]:
    return [(item.grid, numbers) for item, numbers in numbered]
