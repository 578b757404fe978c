"""Where a new report starts (openings, stocks still to ask, the spike rules' history), and
the openings a filed report started from (shown and corrected), are read from the kept
running figures and the last weeks' reports; they must always be what the grid's whole
history says, whatever was filed and corrected on whichever days."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_running_figures import DAYS, FIRST, Filing, Fix, filings, fixes, play, street

from bot.dependencies import Dependencies
from bot.domain.rules import history_from, history_window
from bot.domain.stocks import needs_baseline, openings_for
from bot.usecases.filing import StartPoint, openings_of, start_point


async def from_whole_history(services: Dependencies, grid_id: int, day_index: int) -> StartPoint:
    day = FIRST + timedelta(days=day_index)
    history = await services.db.reports.history(grid_id, before=day)
    window = history_window(services.form_for(day))
    return StartPoint(
        openings=openings_for(services.forms, history, day=day),
        pending_baseline=needs_baseline(services.forms, history, day=day),
        history=history_from(history, day, window) if window else {},
    )


async def check(steps: list[Filing | Fix]) -> None:
    async with street(2) as services:
        await play(services, steps)
        for grid in await services.db.roster.grids():
            for index in range(DAYS + 2):
                expected = await from_whole_history(services, grid.id, index)
                day = FIRST + timedelta(days=index)
                assert await start_point(services, grid.id, day) == expected
            await check_openings_of_filed_reports(services, grid.id)


async def check_openings_of_filed_reports(services: Dependencies, grid_id: int) -> None:
    """Each filed report's openings as shown: its baseline over what the whole history
    before its day carries forward."""
    every = await services.db.reports.history(grid_id, before=FIRST + timedelta(days=DAYS + 2))
    for report in every:
        before = [earlier for earlier in every if earlier.day < report.day]
        carried = openings_for(services.forms, before, day=report.day)
        expected = {**carried, **report.current.baseline}
        assert await openings_of(services, report) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(filings, fixes), max_size=25))
def test_a_new_report_starts_where_the_whole_history_says(steps: list[Filing | Fix]) -> None:
    asyncio.run(check(steps))


def test_a_stock_never_answered_in_the_last_weeks_is_looked_up_in_the_whole_history() -> None:
    steps: list[Filing | Fix] = [
        Filing(0, 0, {"home_iso_in": 2}, {"home_isolation": 10}),
        Filing(0, DAYS - 1, {"screened": 1}, {}),
    ]

    async def run() -> None:
        async with street(1) as services:
            await play(services, steps)
            (grid,) = await services.db.roster.grids()
            start = await start_point(services, grid.id, FIRST + timedelta(days=DAYS + 20))
            assert "home_isolation" not in start.pending_baseline
            assert start.openings["home_isolation"] == 12

    asyncio.run(run())
