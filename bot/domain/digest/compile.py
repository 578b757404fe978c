"""Compile a :class:`DigestInput` into a :class:`Digest`: pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.digest.figures import (
    GridNumbers,
    Ranking,
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
    GridInput,
    GridLine,
    MissingGrid,
    NegativeStock,
    ReportingStatus,
    Request,
)
from bot.domain.form import Form
from bot.domain.grid_names import clashing
from bot.domain.models import Area, Grid
from bot.domain.status import Completeness

_Numbered = tuple[GridInput, GridNumbers]


def compile_digest(data: DigestInput) -> Digest:
    """The digest of ``data.area`` for ``data.day``; grids ordered by area path, then code."""
    return compile_tree([data])[data.area.id]


def compile_tree(inputs: Sequence[DigestInput]) -> dict[int, Digest]:
    """The digests of several areas for one day, by area id (the evening's whole tree).

    Deepest areas first: each grid's numbers are computed once for all the areas it lies
    in, and a parent's roll-up line for a sub-area reuses that sub-area's own totals.
    """
    numbers: dict[int, GridNumbers] = {}
    digests: dict[int, Digest] = {}
    for data in sorted(inputs, key=lambda item: -item.area.path.count("/")):
        digests[data.area.id] = _compile(data, numbers, digests)
    return digests


def _compile(
    data: DigestInput, cache: dict[int, GridNumbers], children: Mapping[int, Digest]
) -> Digest:
    items = sorted(data.grids, key=lambda item: (item.grid.area_path, item.grid.code))
    form = data.forms.form_for(data.day)
    numbered = [(item, _numbers(form, item, cache)) for item in items]
    ranking = Ranking(form, prevalence(form, items))
    texts = [field.key for field in form.fields if field.kind == "text"]
    return Digest(
        form=form,
        forms=data.forms,
        area=data.area,
        day=data.day,
        tz=data.tz,
        status=_status(items),
        attention=_attention(data, numbered),
        totals=totals(data.forms, data.day, _pairs(numbered)),
        sub_areas=_roll_up(data, numbered, ranking, children),
        grids=tuple(_grid_line(data, item, numbers) for item, numbers in numbered),
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


def sub_area_of(grid: Grid, sub_areas: Sequence[Area]) -> Area | None:
    """The sub-area a grid lies in (at any depth), or None when it is directly under the area."""
    for area in sub_areas:
        if area.covers(grid.area_path):
            return area
    return None


def _status(items: Sequence[GridInput]) -> ReportingStatus:
    days = [item.today for item in items]
    yesterdays = [item.yesterday for item in items if item.yesterday is not None]
    missing = tuple(
        MissingGrid(
            item.today,
            item.workers,
            item.yesterday is not None and item.yesterday.is_missing,
            item.unreachable,
        )
        for item in items
        if item.today.is_missing
    )
    return ReportingStatus(
        completeness=Completeness.from_grid_days(days),
        yesterday=Completeness.from_grid_days(yesterdays) if yesterdays else None,
        on_time=tuple(day for day in days if day.is_reported and not day.is_late),
        late=tuple(day for day in days if day.is_late),
        zero=tuple(day for day in days if day.is_zero),
        missing=missing,
        excused=tuple(day for day in days if day.is_excused),
    )


def _attention(data: DigestInput, numbered: Sequence[_Numbered]) -> Attention:
    incidents = sorted(data.incidents, key=lambda incident: (incident.acknowledged, incident.at))
    negative = tuple(
        NegativeStock(item.grid, stock.key, numbers.stocks[stock.key])
        for item, numbers in numbered
        for stock in data.forms.form_for(data.day).stocks()
        if numbers.stocks[stock.key] < 0
    )
    return Attention(tuple(incidents), negative)


def _roll_up(
    data: DigestInput,
    numbered: Sequence[_Numbered],
    ranking: Ranking,
    children: Mapping[int, Digest],
) -> tuple[AreaLine, ...]:
    """One line per sub-area, then one for grids directly under the area (when there are).
    A sub-area whose digest was compiled for the same day lends its totals."""
    if not data.sub_areas:
        return ()
    groups: dict[int, list[_Numbered]] = {area.id: [] for area in data.sub_areas}
    direct: list[_Numbered] = []
    for pair in numbered:
        area = sub_area_of(pair[0].grid, data.sub_areas)
        (direct if area is None else groups[area.id]).append(pair)
    lines = []
    for area in data.sub_areas:
        child = children.get(area.id)
        if child is not None and child.day == data.day and len(child.grids) == len(groups[area.id]):
            lines.append(_reused_line(area, child, ranking))
        else:
            lines.append(_area_line(data, area, groups[area.id], ranking))
    if direct:
        lines.append(_area_line(data, data.area, direct, ranking, direct=True))
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


def _grid_line(data: DigestInput, item: GridInput, numbers: GridNumbers) -> GridLine:
    report = item.today.report
    return GridLine(
        today=item.today,
        yesterday=item.yesterday,
        sub_area=sub_area_of(item.grid, data.sub_areas),
        figures=() if report is None else _own_ranking(data, item).pick(numbers.figures()),
        incidents=0 if report is None else len(report.current.incidents),
    )


def _own_ranking(data: DigestInput, item: GridInput) -> Ranking:
    """A grid's line is chosen by how rarely each figure is non-zero in the grid's own
    reports, so the grid has the same line in its community's digest and every one above."""
    form = data.forms.form_for(data.day)
    return Ranking(form, prevalence(form, [item]))


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
