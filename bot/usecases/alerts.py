"""Urgent incidents (异常情况 marked urgent, or of a category the form marks urgent) after they
are recorded (:mod:`bot.usecases.alerting`, in the filing's transaction): where each alert
was posted, which are still unacknowledged, and a supervisor's acknowledgement. Posting and
re-posting up the area tree is :mod:`bot.outbound.alerts`."""

from __future__ import annotations

from enum import StrEnum

from bot.dependencies import Dependencies
from bot.domain.models import Grid, Report
from bot.usecases.alerting import record_alerts, urgent_categories
from bot.usecases.unit import unit_of_work
from storage.alerts import Alert

__all__ = [
    "AckResult",
    "Alert",
    "acknowledge_alert",
    "alert_grid",
    "alerts_of",
    "record_post",
    "unacknowledged",
]


class AckResult(StrEnum):
    """What pressing "acknowledged" did."""

    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"
    EXPIRED = "expired"


async def record_post(
    deps: Dependencies, alert: Alert, *, chat_id: int, message_id: int, level: int
) -> None:
    """The alert was posted to a group (``level`` 0: the nearest above the grid)."""
    await deps.db.alerts.add_post(
        alert.id, chat_id=chat_id, message_id=message_id, level=level, at=deps.now()
    )


async def unacknowledged(deps: Dependencies) -> list[Alert]:
    """The alerts nobody has acknowledged yet, with where each was posted."""
    return await deps.db.alerts.unacknowledged()


async def alert_grid(deps: Dependencies, alert: Alert) -> tuple[Grid, str]:
    """The alert's grid, and the name of whoever filed the report it came from."""
    grid = await deps.db.roster.grid(alert.grid_id)
    if grid is None:
        raise LookupError(f"grid {alert.grid_id} of alert {alert.id} is missing")
    report = await deps.db.reports.get(alert.grid_id, alert.day)
    return grid, report.current.created_by_name if report else ""


async def acknowledge_alert(
    deps: Dependencies, alert_id: int, *, chat_id: int, user_id: int, name: str
) -> tuple[AckResult, Alert | None]:
    """A supervisor in a group the alert was posted to acknowledges it; returns what that
    did and the alert (with who and when) when it was acknowledged now."""
    async with unit_of_work(deps) as db:
        alert = await db.alerts.get(alert_id)
        if alert is None or chat_id not in {post.chat_id for post in alert.posts}:
            return AckResult.EXPIRED, None
        alert, changed = await db.alerts.acknowledge(alert_id, by=user_id, name=name, at=deps.now())
        if not changed or alert is None:
            return AckResult.ALREADY, None
        return AckResult.ACKNOWLEDGED, alert


async def alerts_of(deps: Dependencies, report: Report) -> list[Alert]:
    """The alerts of the report's current version, recorded now unless its filing already
    recorded them (those keep their posts). A version without an urgent incident has none,
    and costs no query."""
    form = deps.form_for(report.day)
    urgent = urgent_categories(form)
    if not any(item.urgent or item.category in urgent for item in report.current.incidents):
        return []
    async with unit_of_work(deps) as db:
        return await record_alerts(db, form, report.id, deps.now())
