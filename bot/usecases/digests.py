"""Compiling an area's digest of a day from what the database holds: one path for the
evening send, ``/digest``, ``gridbot digest`` and the demo."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.clock import at
from bot.dependencies import Dependencies
from bot.domain.digest import Digest, DigestInput, GridInput, UrgentIncident, compile_digest
from bot.domain.ledger import find_area
from bot.domain.models import Area, Grid, Report
from bot.domain.plan import SINCE_KEY, DailyTimes
from bot.domain.status import GridDay, Tally
from bot.usecases.errors import FutureDay, UseCaseError


async def compile_area_digest(deps: Dependencies, area: Area, day: date) -> Digest:
    """The digest of ``area`` for ``day`` (today or earlier: :class:`FutureDay` otherwise)."""
    if day > deps.today():
        raise FutureDay(day, deps.today())
    return compile_digest(await _DigestLoader(deps).load(area, day))


async def digest_areas(deps: Dependencies, area_path: str | None = None) -> list[Area]:
    """The area named by ``area_path`` (a full path, or a name only one area has), or with
    None every top-level area. Raises ``cli.unknown_area`` (with the known paths) or
    ``cli.roster_empty``."""
    areas = await deps.db.roster.areas()
    if area_path:
        area = find_area(areas, area_path)
        if area is None:
            known = ", ".join(item.path for item in areas)
            raise UseCaseError("cli.unknown_area", path=area_path, areas=known or "—")
        return [area]
    top = [area for area in areas if area.parent_id is None]
    if not top:
        raise UseCaseError("cli.roster_empty")
    return top


class _DigestLoader:
    """Reads everything a digest is compiled from."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.times = DailyTimes.from_settings(deps.settings)

    async def load(self, area: Area, day: date) -> DigestInput:
        """Everything the digest is compiled from."""
        db = self.deps.db
        grids = await db.roster.grids(area_path=area.path)
        reports_today = await self._reports(day)
        reports_before = await self._reports(day - timedelta(days=1))
        excused_today = await db.schedule.excused(day)
        excused_before = await db.schedule.excused(day - timedelta(days=1))
        reminders = await db.schedule.reminders_sent(day)
        compare = await self._operating_on(day - timedelta(days=1))
        items = []
        for grid in grids:
            workers = tuple(worker.name for worker in await db.roster.workers_of_grid(grid.id))
            today = GridDay(
                grid,
                day,
                reports_today.get(grid.id),
                excused_today.get(grid.id),
                reminders.get(grid.id, 0),
            )
            yesterday = (
                GridDay(
                    grid,
                    day - timedelta(days=1),
                    reports_before.get(grid.id),
                    excused_before.get(grid.id),
                )
                if compare
                else None
            )
            history = tuple(await db.reports.history(grid.id, before=day + timedelta(days=1)))
            items.append(GridInput(today, yesterday, history, workers))
        return DigestInput(
            form=self.deps.form,
            area=area,
            day=day,
            tz=self.deps.settings.timezone,
            grids=tuple(items),
            sub_areas=tuple(item for item in await db.roster.areas() if item.parent_id == area.id),
            incidents=await self._urgent(day, grids),
            corrections_since=at(day - timedelta(days=1), self.times.digest_at, self.times.tz),
            weekly=await self._weekly_tally(day, grids),
        )

    async def _operating_on(self, day: date) -> bool:
        """Whether grids were expected to report on ``day``: a reporting day on which the
        bot was already in service (a fresh install has no "yesterday" to compare with)."""
        if not self.times.is_reporting_day(day):
            return False
        since = await self.deps.db.meta.get(SINCE_KEY)
        if since is None:
            return bool(await self.deps.db.reports.reports_on(day))
        return day >= datetime.fromisoformat(since).astimezone(self.times.tz).date()

    async def _reports(self, day: date) -> dict[int, Report]:
        return {report.grid_id: report for report in await self.deps.db.reports.reports_on(day)}

    async def _urgent(self, day: date, grids: list[Grid]) -> tuple[UrgentIncident, ...]:
        by_id = {grid.id: grid for grid in grids}
        return tuple(
            UrgentIncident(
                grid=by_id[alert.grid_id],
                category=alert.category,
                description=alert.description,
                at=alert.raised_at,
                acknowledged_by=alert.acknowledged_by_name,
                acknowledged_at=alert.acknowledged_at,
            )
            for alert in await self.deps.db.alerts.on_day(day)
            if alert.grid_id in by_id
        )

    async def _weekly_tally(self, day: date, grids: list[Grid]) -> Tally | None:
        """Last week's late and missing days, on the first reporting day of a week."""
        monday = day - timedelta(days=day.isoweekday() - 1)
        earlier_this_week = [monday + timedelta(days=n) for n in range(day.isoweekday() - 1)]
        if any(self.times.is_reporting_day(other) for other in earlier_this_week) or not grids:
            return None
        last_week = [monday - timedelta(days=7 - n) for n in range(7)]
        grid_days = []
        for other in [d for d in last_week if await self._operating_on(d)]:
            reports = await self._reports(other)
            excused = await self.deps.db.schedule.excused(other)
            grid_days += [
                GridDay(grid, other, reports.get(grid.id), excused.get(grid.id)) for grid in grids
            ]
        return Tally.from_grid_days(grid_days) if grid_days else None
