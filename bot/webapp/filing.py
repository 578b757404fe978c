"""Filing the page's draft: the same filing as the chat's Submit button.

One grid, one report a day (the database refuses a second one, whoever files it, page or
chat); late after ``GRIDBOT_DEADLINE``; urgent incidents posted at once; ``/correct`` works
on it like on any other report.
"""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.draft import Draft, final_values
from bot.domain.models import Report, ReportKind
from bot.outbound.alerts import AlertDesk


async def file_report(
    deps: Dependencies, alerts: AlertDesk, draft: Draft, worker_id: int
) -> tuple[Report, bool]:
    """File the draft as the grid's detailed report; ``(existing report, False)`` when the
    grid's report of that day is already there. Urgent incidents go out when it is new."""
    moment = deps.now()
    report, created = await deps.db.reports.file(
        grid_id=draft.grid_id,
        day=draft.day,
        kind=ReportKind.DETAILED,
        values=final_values(deps.form, draft),
        incidents=draft.incident_values(),
        baseline=draft.baseline,
        worker_id=worker_id,
        at=moment,
        late=deps.is_late(draft.day, moment),
    )
    if created:
        await alerts.raise_for(report)
    return report, created
