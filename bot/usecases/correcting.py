"""A worker corrects their grid's report: of today or of the last GRIDBOT_CORRECTION_DAYS
days, with a reason; every earlier version is kept. (Supervisors fix any day: see
:func:`bot.usecases.supervision.fix_report`.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from bot.dependencies import Dependencies
from bot.domain.correction import REASON_MAX_CHARS, REASON_MIN_CHARS
from bot.domain.models import FieldValue, Incident, Report, ReportKind
from bot.usecases.alerting import record_alerts
from bot.usecases.errors import ChangedMeanwhile, UseCaseError
from bot.usecases.filing import check_hard_rules
from bot.usecases.unit import unit_of_work
from storage.reports import VersionConflict


def correction_window(deps: Dependencies) -> tuple[date, date]:
    """The first and last day a worker may correct (both included)."""
    today = deps.today()
    return today - timedelta(days=deps.settings.correction_days), today


async def correctable_reports(
    deps: Dependencies, grid_id: int, wanted: date | None = None
) -> list[Report]:
    """The grid's reports a worker may correct now, by day (only ``wanted``'s, if given).

    Raises ``checkin.correct_out_of_window`` for a day outside the window and
    ``checkin.nothing_to_correct`` when there is no such report.
    """
    earliest, today = correction_window(deps)
    days = deps.settings.correction_days
    if wanted is not None and not earliest <= wanted <= today:
        raise UseCaseError(
            "checkin.correct_out_of_window",
            day=wanted.isoformat(),
            earliest=earliest.isoformat(),
            days=days,
        )
    filed = await deps.db.reports.history(grid_id, before=today + timedelta(days=1), since=earliest)
    found = [report for report in filed if wanted is None or report.day == wanted]
    if not found:
        raise UseCaseError("checkin.nothing_to_correct", days=days)
    return found


async def correct_report(
    deps: Dependencies,
    *,
    worker_id: int,
    report_id: int,
    kind: ReportKind,
    values: Mapping[str, FieldValue],
    incidents: Sequence[Incident],
    baseline: Mapping[str, int],
    reason: str,
    expected_version: int | None,
) -> Report:
    """Add the worker's corrected version of the report, saying why; returns the report
    with every version. The correction was made from version ``expected_version``: if the
    report has a newer one now, :class:`ChangedMeanwhile` is raised and nothing written.
    Raises ``checkin.reason_length`` for a reason too short or long, and
    :class:`RulesRejected` (nothing written) for values that break a hard rule of the form."""
    if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
        raise UseCaseError("checkin.reason_length", min=REASON_MIN_CHARS, max=REASON_MAX_CHARS)
    try:
        async with unit_of_work(deps) as db:  # the version and its urgent alerts together
            moment = deps.now()
            report = await db.reports.correct(
                report_id,
                kind=kind,
                values=values,
                incidents=incidents,
                baseline=baseline,
                worker_id=worker_id,
                at=moment,
                reason=reason,
                expected_version=expected_version,
            )
            grid = await db.roster.grid(report.grid_id)
            if grid is None:
                raise LookupError(f"no grid with id {report.grid_id}")
            # judged on the version as stored; a rejection rolls the whole unit back
            await check_hard_rules(deps, grid, report.day, values, baseline)
            await record_alerts(db, deps.form_for(report.day), report.id, moment)
            return report
    except VersionConflict as conflict:
        raise ChangedMeanwhile(conflict.report) from None
