"""The marks kept of each grid's weeks (week_marks: the days it has a report for, a late one,
an excusal) always equal a recomputation from the reports and excusals, whatever is filed,
excused, corrected, deleted or moved; and the tally counted from them equals one counted from
every grid-day."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_fixtures import open_db, rows_of, sample_csv

from bot.domain.models import ReportKind, Supervisor
from bot.domain.status import GridDay, Tally
from storage.db import Database
from storage.rows import fetch_all

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 3, 1)  # a Sunday: the days run over four weeks
DAYS = 20
AT = datetime(2026, 3, 25, 9, tzinfo=TZ)


@dataclass(frozen=True)
class Filing:
    grid: int
    day: int
    late: bool


@dataclass(frozen=True)
class Excusal:
    grid: int
    day: int


@dataclass(frozen=True)
class Fix:
    which: int
    """Index into the reports filed so far (modulo their number): corrected as a zero report."""


@dataclass(frozen=True)
class Behind:
    """What no use case does, but the triggers must follow: a report or an excusal
    (``which``, modulo their number) deleted, or moved to another grid and day."""

    table: str
    which: int
    delete: bool
    grid: int
    day: int


grids = st.integers(0, 2)
days = st.integers(0, DAYS - 1)
steps = st.one_of(
    st.builds(Filing, grids, days, st.booleans()),
    st.builds(Excusal, grids, days),
    st.builds(Fix, st.integers(0, 50)),
    st.builds(
        Behind,
        st.sampled_from(["reports", "excusals"]),
        st.integers(0, 50),
        st.booleans(),
        grids,
        days,
    ),
)


async def play(db: Database, plan: list[Filing | Excusal | Fix | Behind]) -> None:
    every = await db.roster.grids()
    workers = [(await db.roster.workers_of_grid(grid.id))[0].id for grid in every]
    for step in plan:
        if isinstance(step, Filing):
            await db.reports.file(
                grid_id=every[step.grid].id,
                day=FIRST + timedelta(days=step.day),
                kind=ReportKind.ZERO,
                values={},
                incidents=(),
                baseline={},
                worker_id=workers[step.grid],
                at=AT,
                late=step.late,
            )
        elif isinstance(step, Excusal):
            day = FIRST + timedelta(days=step.day)
            await db.schedule.excuse(every[step.grid].id, day, reason="病假", actor=1, at=AT)
        elif isinstance(step, Fix):
            await fix(db, step)
        else:
            await behind(db, step, every[step.grid].id)


async def fix(db: Database, step: Fix) -> None:
    async with db.read() as conn:
        filed = await fetch_all(conn, "SELECT grid_id, day FROM reports ORDER BY id")
    if not filed:
        return
    grid_id, day = filed[step.which % len(filed)]
    report = await db.reports.get(grid_id, date.fromisoformat(day))
    assert report is not None
    await db.reports.correct(
        report.id,
        kind=ReportKind.ZERO,
        values={},
        incidents=(),
        baseline={},
        worker_id=None,
        at=AT,
        reason="更正",
        expected_version=report.current.version,
        supervisor=Supervisor(99, "赵主任"),
    )


async def behind(db: Database, step: Behind, grid_id: int) -> None:
    day = (FIRST + timedelta(days=step.day)).isoformat()
    async with db.transaction() as conn:
        await conn.execute("PRAGMA defer_foreign_keys = ON")
        rows = await fetch_all(conn, f"SELECT id FROM {step.table} ORDER BY id")
        if not rows:
            return
        row_id = rows[step.which % len(rows)][0]
        taken = await fetch_all(
            conn,
            f"SELECT 1 FROM {step.table} WHERE grid_id = ? AND day = ?",
            (grid_id, day),
        )
        if step.delete and step.table == "reports":
            for table in ("ledger_reports", "report_versions"):
                await conn.execute(f"DELETE FROM {table} WHERE report_id = ?", (row_id,))
        if step.delete:
            await conn.execute(f"DELETE FROM {step.table} WHERE id = ?", (row_id,))
        elif not taken:
            await conn.execute(
                f"UPDATE {step.table} SET grid_id = ?, day = ? WHERE id = ?",
                (grid_id, day, row_id),
            )


Marks = dict[tuple[str, int], tuple[int, int, int]]


async def kept(db: Database) -> Marks:
    async with db.read() as conn:
        rows = await fetch_all(conn, "SELECT monday, grid_id, filed, late, excused FROM week_marks")
    return {(row[0], row[1]): (row[2], row[3], row[4]) for row in rows}


async def recomputed(db: Database) -> Marks:
    """The marks made from every report and excusal."""
    async with db.read() as conn:
        reports = await fetch_all(conn, "SELECT grid_id, day, late, 0 FROM reports")
        excusals = await fetch_all(conn, "SELECT grid_id, day, 0, 1 FROM excusals")
    found: Marks = {}
    for grid_id, day, late, excused in [*reports, *excusals]:
        when = date.fromisoformat(day)
        key = ((when - timedelta(days=when.weekday())).isoformat(), grid_id)
        bit = 1 << when.weekday()
        filed_bits, late_bits, excused_bits = found.get(key, (0, 0, 0))
        if excused:
            excused_bits |= bit
        else:
            filed_bits |= bit
            late_bits |= bit if late else 0
        found[key] = (filed_bits, late_bits, excused_bits)
    return found


async def tally_of_grid_days(db: Database, asked: list[date]) -> dict[int, tuple[int, int]]:
    """Each grid's late and missing days among ``asked``, from every grid-day (grids with
    neither a report nor an excusal on any of them left out)."""
    every = await db.roster.grids()
    grid_days = []
    for day in asked:
        reports = {report.grid_id: report for report in await db.reports.reports_on(day)}
        excused = await db.schedule.excused(day)
        grid_days += [
            GridDay(grid, day, reports.get(grid.id), excused.get(grid.id)) for grid in every
        ]
    rows = Tally.from_grid_days(grid_days).rows
    return {row.grid.id: (row.late, row.missing) for row in rows if row.missing < len(asked)}


async def check(plan: list[Filing | Excusal | Fix | Behind], asked: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await open_db(Path(folder))
        try:
            await db.roster.apply(rows_of(sample_csv()), actor=None, at=AT - timedelta(days=60))
            await play(db, plan)
            assert await kept(db) == await recomputed(db)
            tallied = sorted({FIRST + timedelta(days=n) for n in asked})
            expected = await tally_of_grid_days(db, tallied)
            assert await db.reports.late_and_missing(tallied) == expected
        finally:
            await db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, max_size=30), st.lists(days, min_size=1, max_size=10))
def test_kept_week_marks_equal_a_recomputation(
    plan: list[Filing | Excusal | Fix | Behind], asked: list[int]
) -> None:
    asyncio.run(check(plan, asked))


def test_a_week_runs_from_monday_to_sunday() -> None:
    """A report of a Sunday marks the last day of the week that began the Monday before; one
    of the next Monday the first day of the next week."""

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            db = await open_db(Path(folder))
            try:
                await db.roster.apply(rows_of(sample_csv()), actor=None, at=AT)
                await play(db, [Filing(0, 0, late=True), Filing(0, 1, late=False)])
                grid_id = (await db.roster.grids())[0].id
                assert await kept(db) == {
                    ("2026-02-23", grid_id): (64, 64, 0),
                    ("2026-03-02", grid_id): (1, 0, 0),
                }
            finally:
                await db.close()

    asyncio.run(run())
