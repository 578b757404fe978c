"""Filing a grid's report of a day: a detailed one or a zero report (零报告).

One report per grid per day: whoever files first files it; a second filing writes nothing
and returns the report already there (``Filed.created`` is False).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.dependencies import Dependencies
from bot.domain.draft import Draft
from bot.domain.models import FieldValue, Grid, Incident, Report, ReportKind
from bot.domain.rules import RuleContext, evaluate, history_from, history_window
from bot.domain.running import closing_of
from bot.domain.stocks import needs_baseline, openings_for, zero_values
from bot.usecases.alerting import record_alerts
from bot.usecases.errors import RulesRejected
from bot.usecases.unit import unit_of_work
from storage.db import Database


@dataclass(frozen=True, slots=True)
class Filed:
    """The grid's report of the day; ``created`` is False when it was there already."""

    report: Report
    created: bool


@dataclass(frozen=True, slots=True)
class ZeroPreview:
    """What a zero report of a grid-day would say: the stocks it carries forward."""

    openings: dict[str, int]
    first_report: bool
    """No earlier report gives the opening balances: the zero report starts them at 0."""


async def report_of(deps: Dependencies, grid_id: int, day: date) -> Report | None:
    """The grid's report of ``day`` (with every version), or None: not reported."""
    return await deps.db.reports.get(grid_id, day)


@dataclass(frozen=True, slots=True)
class StartPoint:
    """What a grid's history implies for a new report of a day."""

    openings: dict[str, int]
    """Each stock's opening balance: the closing of the grid's last report before the day."""
    pending_baseline: list[str]
    """Stocks with no history: the worker is asked for their current number."""
    history: dict[str, list[int]]
    """Per count, the values of the spike rules' window before the day, oldest first."""


RECENT_DAYS = 7
"""Reports of at least this many days before a new one are read to learn which stocks the
grid already has (those of the spike rules' window when it is longer)."""


async def start_point(deps: Dependencies, grid_id: int, day: date) -> StartPoint:
    """Where a new report of ``day`` starts, without walking the grid's whole history: the
    openings are the kept running figures of its last report day (:mod:`storage.figures`),
    the spike history and the known stocks come from the last weeks' reports. Only a grid
    with a stock that none of those reports knows (its first reports, a stock just added to
    the form) has its whole history read, to tell whether that stock was ever answered."""
    form = deps.form_for(day)
    window = history_window(form)
    db = deps.db
    async with db.read():
        if not db.figures.attached:
            return _start_from(deps, await db.reports.history(grid_id, before=day), day)
        recent = await db.reports.history(
            grid_id, before=day, since=day - timedelta(days=max(window, RECENT_DAYS))
        )
        openings = await _carried_openings(deps, grid_id, day)
        pending = needs_baseline(deps.forms, recent, day=day)
        if pending:
            pending = needs_baseline(
                deps.forms, await db.reports.history(grid_id, before=day), day=day
            )
    return StartPoint(
        openings=openings,
        pending_baseline=pending,
        history=history_from(recent, day, window) if window else {},
    )


def _start_from(deps: Dependencies, history: Sequence[Report], day: date) -> StartPoint:
    """:func:`start_point` from the grid's whole history (its reports before ``day``)."""
    window = history_window(deps.form_for(day))
    return StartPoint(
        openings=openings_for(deps.forms, history, day=day),
        pending_baseline=needs_baseline(deps.forms, history, day=day),
        history=history_from(history, day, window) if window else {},
    )


async def start_draft(deps: Dependencies, grid: Grid, day: date) -> Draft:
    """A fresh draft of the grid's report of ``day``, with what its history implies: opening
    balances carried forward, the ones still to ask, recent figures for the spike rules."""
    start = await start_point(deps, grid.id, day)
    return Draft.start(
        day=day,
        grid_id=grid.id,
        grid_name=grid.name,
        openings=start.openings,
        pending_baseline=start.pending_baseline,
        grid_facts=_facts(grid),
        history=start.history,
        form_version=deps.forms.version_for(day).number,
    )


async def preview_zero_report(deps: Dependencies, grid_id: int, day: date) -> ZeroPreview:
    """What a zero report would carry forward (shown before the worker confirms it)."""
    start = await start_point(deps, grid_id, day)
    return ZeroPreview(start.openings, bool(start.pending_baseline))


async def _carried_openings(deps: Dependencies, grid_id: int, day: date) -> dict[str, int]:
    """Each stock of ``day``'s form at its closing as of the grid's last report day before
    ``day`` (0 without one): read from the kept running figures, no history walked."""
    runs = (await deps.db.figures.as_of([grid_id], day - timedelta(days=1))).get(grid_id, {})
    return {stock.key: closing_of(runs.get(stock.key)) for stock in deps.form_for(day).stocks()}


async def openings_of(deps: Dependencies, report: Report) -> dict[str, int]:
    """The opening balances ``report`` started from (carried forward or typed in): like a new
    report's (:func:`start_point`), from the kept running figures, so that showing or
    correcting a report of a grid with years of history does not read all of it."""
    db = deps.db
    async with db.read():
        if db.figures.attached:
            carried = await _carried_openings(deps, report.grid_id, report.day)
        else:
            history = await db.reports.history(report.grid_id, before=report.day)
            carried = openings_for(deps.forms, history, day=report.day)
    return {**carried, **report.current.baseline}


async def file_report(
    deps: Dependencies,
    *,
    worker_id: int,
    grid_id: int,
    day: date,
    values: Mapping[str, FieldValue],
    incidents: Sequence[Incident],
    baseline: Mapping[str, int],
) -> Filed:
    """File a detailed report: ``values`` as filed (skipped questions filled in), the
    incidents, and the opening balances typed on a grid's first report.

    Raises :class:`RulesRejected` if the values break a hard rule of the form (with the
    grid's history, as the conversation checked them), writing nothing.
    """
    async with unit_of_work(deps) as db:
        existing = await db.reports.get(grid_id, day)
        if existing is not None:
            return Filed(existing, created=False)
        grid = await db.roster.grid(grid_id)
        if grid is None:
            raise LookupError(f"no grid with id {grid_id}")
        await check_hard_rules(deps, grid, day, values, baseline)
        return await _file(
            deps, db, worker_id, grid_id, day, ReportKind.DETAILED, values, incidents, baseline
        )


async def file_zero_report(deps: Dependencies, *, worker_id: int, grid_id: int, day: date) -> Filed:
    """File a zero report: every flow 0, no incidents, the stocks carried forward (a grid's
    first report starts them at 0)."""
    async with unit_of_work(deps) as db:
        start = await start_point(deps, grid_id, day)
        baseline = dict.fromkeys(start.pending_baseline, 0)
        return await _file(
            deps,
            db,
            worker_id,
            grid_id,
            day,
            ReportKind.ZERO,
            zero_values(deps.form_for(day)),
            (),
            baseline,
        )


async def _file(
    deps: Dependencies,
    db: Database,
    worker_id: int,
    grid_id: int,
    day: date,
    kind: ReportKind,
    values: Mapping[str, FieldValue],
    incidents: Sequence[Incident],
    baseline: Mapping[str, int],
) -> Filed:
    moment = deps.now()
    report, created = await db.reports.file(
        grid_id=grid_id,
        day=day,
        kind=kind,
        values=values,
        incidents=incidents,
        baseline=baseline,
        worker_id=worker_id,
        at=moment,
        late=deps.is_late(day, moment),
    )
    if created:
        await record_alerts(db, deps.form_for(day), report.id, moment)
    return Filed(report, created)


async def check_hard_rules(
    deps: Dependencies,
    grid: Grid,
    day: date,
    values: Mapping[str, FieldValue],
    baseline: Mapping[str, int],
) -> None:
    """Raise :class:`RulesRejected` if ``values`` of the grid's report of ``day`` break a
    hard rule of that day's form (judged with the grid's history, as the conversation did).
    Every path that stores a version made by a worker calls it: filing and correcting, from
    the chat or the Mini App."""
    start = await start_point(deps, grid.id, day)
    context = RuleContext(
        openings={**start.openings, **baseline}, grid=_facts(grid), history=start.history
    )
    hard = [
        item for item in evaluate(deps.form_for(day), values, context) if item.severity == "hard"
    ]
    if hard:
        raise RulesRejected(hard)


def _facts(grid: Grid) -> dict[str, int | None]:
    """The grid facts the form's rules may use."""
    return {"households": grid.households, "population": grid.population}
