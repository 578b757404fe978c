"""Compile a :class:`DigestInput` into a :class:`Digest`: pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter

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
    Totals,
)
from bot.domain.form import Form
from bot.domain.form_versions import FormSource
from bot.domain.grid_names import clashes_among, name_key
from bot.domain.models import Area, Grid, ReportKind
from bot.domain.status import Completeness, GridDay


@dataclass(slots=True)
class _Row:
    """One grid of the evening, worked out once for every area that lists it (it is the same
    at every level): its numbers, its line, its place in the status lists, its corrections,
    requests and negative stocks. Never changed once made, but not frozen: a frozen
    dataclass sets each field through ``object.__setattr__``, three times the cost of a
    plain one, and ten thousand rows are made an evening."""

    item: GridInput
    grid: Grid
    order: tuple[str, str]
    """Where it comes in an area's lists: by area path, then code."""
    numbers: GridNumbers
    figures: tuple[Figure, ...]
    """Its line's most telling figures (none without a report)."""
    incidents: int
    missing: MissingGrid | None
    """Who to chase, when it has neither a report nor an excuse."""
    corrections: tuple[Correction, ...]
    requests: tuple[Request, ...]
    negative: tuple[NegativeStock, ...]
    name: tuple[str, str]
    """Its name as read from above its area (see :func:`name_key`)."""


_ORDER = attrgetter("order")
_AT = attrgetter("at")


@dataclass
class _Tree:
    """What the digests of one evening share (one day, one previous digest): each grid's
    row, and each area's digest and prevalence (a parent reuses its sub-areas')."""

    forms: FormSource
    day: date
    since: datetime | None
    rows: dict[int, _Row] = field(default_factory=dict)
    seen: dict[int, dict[str, int]] = field(default_factory=dict)
    digests: dict[int, Digest] = field(default_factory=dict)
    form: Form = field(init=False)
    """The form of the day."""
    texts: tuple[str, ...] = field(init=False)
    stocks: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.form = self.forms.form_for(self.day)
        self.texts = tuple(item.key for item in self.form.fields if item.kind == "text")
        self.stocks = tuple(item.key for item in self.form.stocks())

    def row(self, item: GridInput) -> _Row:
        """The grid's row (made once per grid input)."""
        grid_id = item.today.grid.id
        found = self.rows.get(grid_id)
        if found is None or found.item is not item:
            found = self.rows[grid_id] = self._made(item)
        return found

    def _made(self, item: GridInput) -> _Row:
        grid, today = item.grid, item.today
        report = today.report
        numbers = GridNumbers.of(self.form, item)
        return _Row(
            item=item,
            grid=grid,
            order=(grid.area_path, grid.code),
            numbers=numbers,
            figures=() if report is None else numbers.line(self.form),
            incidents=0 if report is None else report.incident_count,
            missing=_missing(item),
            corrections=_corrections(item, self.day, self.since),
            requests=_requests(self.texts, item),
            negative=tuple(
                NegativeStock(grid, key, closing)
                for key, closing in zip(self.stocks, numbers.stocks, strict=True)
                if closing < 0
            ),
            name=name_key(grid),
        )


@dataclass(frozen=True, slots=True)
class _Part:
    """A group of an area's grids (a sub-area's, or those directly under the area), with
    what the area adds up from its groups; a sub-area compiled before lends its own."""

    area: Area
    direct: bool
    completeness: Completeness
    yesterday: Completeness | None
    totals: Totals
    seen: dict[str, int]


def compile_digest(data: DigestInput) -> Digest:
    """The digest of ``data.area`` for ``data.day``; grids ordered by area path, then code."""
    return compile_tree([data])[data.area.id]


def compile_tree(inputs: Sequence[DigestInput]) -> dict[int, Digest]:
    """The digests of several areas, by area id (the evening's whole tree).

    Deepest areas first: each grid's numbers and line are worked out once for all the areas
    it lies in, and a parent's status counts, totals, prevalence and roll-up line for a
    sub-area reuse that sub-area's own (areas of one day and one previous digest).
    """
    trees: dict[tuple[int, date, datetime | None], _Tree] = {}
    digests: dict[int, Digest] = {}
    for data in sorted(inputs, key=lambda item: -item.area.path.count("/")):
        key = (id(data.forms), data.day, data.corrections_since)
        tree = trees.get(key)
        if tree is None:
            tree = trees[key] = _Tree(data.forms, data.day, data.corrections_since)
        digests[data.area.id] = tree.digests[data.area.id] = _compile(data, tree)
    return digests


def _compile(data: DigestInput, tree: _Tree) -> Digest:
    rows = sorted(map(tree.row, data.grids), key=_ORDER)
    places, parts = _parts(data, rows, tree)
    seen = tree.seen[data.area.id] = _sum([part.seen for part in parts])
    return Digest(
        form=tree.form,
        forms=data.forms,
        area=data.area,
        day=data.day,
        tz=data.tz,
        status=_status(rows, parts),
        attention=_attention(data, rows),
        totals=_combined(parts),
        sub_areas=_roll_up(data, parts, Ranking(tree.form, seen)),
        grids=tuple(
            GridLine(row.item.today, row.item.yesterday, place, row.figures, row.incidents)
            for row, place in zip(rows, places, strict=True)
        ),
        corrections=tuple(sorted((item for row in rows for item in row.corrections), key=_AT)),
        requests=tuple(request for row in rows for request in row.requests),
        weekly=data.weekly,
        clashes=clashes_among({row.grid.id: row.name for row in rows}),
        reporting_day=data.reporting_day,
    )


def _parts(
    data: DigestInput, rows: Sequence[_Row], tree: _Tree
) -> tuple[list[Area | None], list[_Part]]:
    """Each row's sub-area (None: directly under the area), and the area's groups: one per
    sub-area, then the grids directly under it (when there are, or no sub-areas)."""
    placed: dict[str, Area | None] = {}
    places: list[Area | None] = []
    by_area: dict[int, list[_Row]] = {area.id: [] for area in data.sub_areas}
    direct: list[_Row] = []
    for row in rows:
        path = row.grid.area_path
        if path not in placed:
            placed[path] = sub_area_of(row.grid, data.sub_areas)
        area = placed[path]
        places.append(area)
        (direct if area is None else by_area[area.id]).append(row)
    parts = [_part(area, by_area[area.id], tree) for area in data.sub_areas]
    if direct or not parts:
        parts.append(_part(data.area, direct, tree, direct=True))
    return places, parts


def _part(area: Area, rows: Sequence[_Row], tree: _Tree, *, direct: bool = False) -> _Part:
    child = None if direct else tree.digests.get(area.id)
    if child is not None and len(child.grids) == len(rows):  # compiled for the same grids
        status = child.status
        return _Part(
            area, direct, status.completeness, status.yesterday, child.totals, tree.seen[area.id]
        )
    items = [row.item for row in rows]
    yesterdays = [item.yesterday.kind for item in items if item.yesterday is not None]
    return _Part(
        area,
        direct,
        Completeness.from_grid_days(item.today for item in items),
        Completeness.from_kinds(yesterdays) if yesterdays else None,
        totals(tree.forms, tree.day, [(row.grid, row.numbers) for row in rows]),
        prevalence(tree.form, [row.numbers for row in rows]),
    )


def _sum(parts: Sequence[dict[str, int]]) -> dict[str, int]:
    return {key: sum(part[key] for part in parts) for key in parts[0]}


def _combined(parts: Sequence[_Part]) -> Totals:
    return parts[0].totals if len(parts) == 1 else combined([part.totals for part in parts])


def sub_area_of(grid: Grid, sub_areas: Sequence[Area]) -> Area | None:
    """The sub-area a grid lies in (at any depth), or None when it is directly under the area."""
    for area in sub_areas:
        if area.covers(grid.area_path):
            return area
    return None


def _status(rows: Sequence[_Row], parts: Sequence[_Part]) -> ReportingStatus:
    """The area's reporting status: its counts added up from its groups', its grids sorted
    into each list in one pass."""
    on_time: list[GridDay] = []
    late: list[GridDay] = []
    zero: list[GridDay] = []
    excused: list[GridDay] = []
    missing: list[MissingGrid] = []
    for row in rows:
        day = row.item.today
        report = day.report
        if report is not None:
            (late if report.late else on_time).append(day)
            if report.kind == ReportKind.ZERO:
                zero.append(day)
        elif row.missing is None:
            excused.append(day)
        else:
            missing.append(row.missing)
    yesterdays = [part.yesterday for part in parts if part.yesterday is not None]
    return ReportingStatus(
        completeness=Completeness.combined([part.completeness for part in parts]),
        yesterday=Completeness.combined(yesterdays) if yesterdays else None,
        on_time=tuple(on_time),
        late=tuple(late),
        zero=tuple(zero),
        missing=tuple(missing),
        excused=tuple(excused),
    )


def _missing(item: GridInput) -> MissingGrid | None:
    """The grid to chase, when it has neither a report nor an excuse."""
    if not item.today.is_missing:
        return None
    before = item.yesterday
    again = before is not None and before.is_missing
    return MissingGrid(item.today, item.workers, again, item.unreachable)


def _attention(data: DigestInput, rows: Sequence[_Row]) -> Attention:
    incidents = sorted(data.incidents, key=lambda incident: (incident.acknowledged, incident.at))
    negative = tuple(stock for row in rows for stock in row.negative)
    return Attention(tuple(incidents), negative)


def _roll_up(data: DigestInput, parts: Sequence[_Part], ranking: Ranking) -> tuple[AreaLine, ...]:
    """One line per sub-area, then one for grids directly under the area (when there are)."""
    if not data.sub_areas:
        return ()
    return tuple(
        AreaLine(
            area=part.area,
            direct=part.direct,
            completeness=part.completeness,
            totals=part.totals,
            figures=ranking.pick(part.totals.figures()),
        )
        for part in parts
    )


def _corrections(item: GridInput, day: date, since: datetime | None) -> tuple[Correction, ...]:
    """The corrections of the grid's reports up to ``day`` made after ``since``."""
    if not item.corrected:
        return ()
    reports = (report for report in item.corrected if report.day <= day)
    return tuple(corrections_since(item.grid, reports, since))


def _requests(text_keys: Sequence[str], item: GridInput) -> tuple[Request, ...]:
    """The non-empty answers to the form's text fields in the grid's report of the day."""
    report = item.today.report
    if report is None or not text_keys:
        return ()
    values = report.values
    requests = []
    for key in text_keys:
        value = values.get(key)
        if isinstance(value, str) and value.strip():
            requests.append(Request(item.grid, key, value.strip()))
    return tuple(requests)
