"""Filing, correcting and reading reports."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from storage_fixtures import AT, audit_entries, sample_db

from bot.domain.digest import DayBefore
from bot.domain.models import Grid, Incident, Report, ReportKind, Worker
from bot.domain.status import GridDayKind
from storage.audit import AuditAction
from storage.db import Database

DAY = date(2024, 5, 1)
FEVER = Incident("fever", "3号楼2单元 林某某 发热，已送发热门诊", urgent=True)


async def grid_and_workers(db: Database, code: str = "QJ-01") -> tuple[Grid, list[Worker]]:
    grid = await db.roster.grid_by_code(code)
    assert grid is not None
    return grid, await db.roster.workers_of_grid(grid.id)


async def file_detailed(
    db: Database, grid: Grid, worker: Worker, day: date = DAY, screened: int = 120
) -> tuple[Report, bool]:
    return await db.reports.file(
        grid_id=grid.id,
        day=day,
        kind=ReportKind.DETAILED,
        values={"screened": screened, "note": "正常", "optional": None},
        incidents=[FEVER, Incident("rumour", "群里传谣", urgent=False)],
        baseline={"home_isolation": 46},
        worker_id=worker.id,
        at=AT,
        late=False,
    )


async def test_file_stores_version_one_with_incidents(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        grid, (wang, *_) = await grid_and_workers(db)
        report, created = await db.reports.file(
            grid_id=grid.id,
            day=DAY,
            kind=ReportKind.DETAILED,
            values={"screened": 120, "note": "正常", "optional": None},
            incidents=[FEVER],
            baseline={"home_isolation": 46},
            worker_id=wang.id,
            at=AT,
            late=True,
        )
        assert created
        assert (report.grid_id, report.day, report.late) == (grid.id, DAY, True)
        assert report.submitted_at == AT and report.submitted_at.tzinfo is not None
        assert (report.submitted_by, report.submitted_by_name) == (wang.id, "王娜")
        (version,) = report.versions
        assert (version.version, version.kind, version.reason) == (1, ReportKind.DETAILED, None)
        assert version.values == {"screened": 120, "note": "正常", "optional": None}
        assert version.baseline == {"home_isolation": 46}
        assert version.incidents == (FEVER,)
        assert (version.created_by, version.created_by_name) == (wang.id, "王娜")
        assert await db.reports.get(grid.id, DAY) == report
        assert await db.reports.get(grid.id, DAY + timedelta(days=1)) is None
        (entry,) = await audit_entries(db, action=AuditAction.REPORT_FILE)
        assert entry.actor == wang.telegram_id and entry.details["late"] is True


async def test_a_second_filing_returns_the_existing_report(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        grid, (wang, chao, zhu) = await grid_and_workers(db)
        first, created = await file_detailed(db, grid, wang)
        assert created
        again, created_again = await db.reports.file(
            grid_id=grid.id,
            day=DAY,
            kind=ReportKind.ZERO,
            values={},
            incidents=[],
            baseline={},
            worker_id=chao.id,
            at=AT + timedelta(hours=1),
            late=True,
        )
        assert (again, created_again) == (first, False)
        # The same update delivered twice, concurrently: one filing wins.
        outcomes = await asyncio.gather(
            *(file_detailed(db, grid, zhu, day=DAY + timedelta(days=1)) for _ in range(3))
        )
        assert sorted(created for _, created in outcomes) == [False, False, True]
        assert len(await db.reports.reports_on(DAY + timedelta(days=1))) == 1


async def test_corrections_add_versions_and_keep_the_old_ones(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        grid, (wang, chao, _) = await grid_and_workers(db)
        filed, _ = await file_detailed(db, grid, wang)
        report_id = filed.id
        corrected = await db.reports.correct(
            report_id,
            kind=ReportKind.DETAILED,
            values={"screened": 1200, "note": "正常", "optional": None},
            incidents=[],
            baseline={"home_isolation": 46},
            worker_id=chao.id,
            at=AT + timedelta(days=1),
            reason="少写了一个0",
            expected_version=1,
        )
        assert corrected.corrected and [v.version for v in corrected.versions] == [1, 2]
        old, new = corrected.versions
        assert old.values["screened"] == 120 and len(old.incidents) == 2
        assert (new.values["screened"], new.incidents, new.reason) == (1200, (), "少写了一个0")
        assert (new.created_by_name, new.created_at) == ("王超", AT + timedelta(days=1))
        assert (corrected.submitted_at, corrected.late, corrected.submitted_by) == (
            AT,
            False,
            wang.id,
        )
        zero = await db.reports.correct(
            report_id,
            kind=ReportKind.ZERO,
            values={},
            incidents=[],
            baseline={},
            worker_id=wang.id,
            at=AT + timedelta(days=2),
            reason="其实无新增",
            expected_version=2,
        )
        assert [v.version for v in zero.versions] == [1, 2, 3] and zero.kind == ReportKind.ZERO
        assert zero.versions[:2] == corrected.versions
        entries = await audit_entries(db, action=AuditAction.REPORT_CORRECT)
        assert [(e.details["version"], e.details["reason"]) for e in entries] == [
            (2, "少写了一个0"),
            (3, "其实无新增"),
        ]
        with pytest.raises(LookupError):
            await db.reports.correct(
                9999,
                kind=ReportKind.ZERO,
                values={},
                incidents=[],
                baseline={},
                worker_id=wang.id,
                at=AT,
                reason="x",
                expected_version=1,
            )


async def test_history_and_reports_on(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        qj01, (wang, *_) = await grid_and_workers(db)
        qj03, (wang_xj, *_) = await grid_and_workers(db, "QJ-03")
        for offset in (0, 1, 2, 4):
            await file_detailed(db, qj01, wang, DAY + timedelta(days=offset), screened=offset)
        await file_detailed(db, qj03, wang_xj, DAY + timedelta(days=1))
        history = await db.reports.history(qj01.id, before=DAY + timedelta(days=4))
        assert [r.day for r in history] == [DAY + timedelta(days=n) for n in (0, 1, 2)]
        recent = await db.reports.history(
            qj01.id, before=DAY + timedelta(days=5), since=DAY + timedelta(days=2)
        )
        assert [r.current.values["screened"] for r in recent] == [2, 4]
        day_two = DAY + timedelta(days=1)
        assert [r.grid_id for r in await db.reports.reports_on(day_two)] == [qj01.id, qj03.id]
        assert [r.grid_id for r in await db.reports.reports_on(day_two, [qj03.id])] == [qj03.id]
        assert await db.reports.reports_on(day_two, []) == []
        assert await db.reports.reports_on(DAY + timedelta(days=3)) == []


async def test_current_on_reads_each_report_as_it_stands(tmp_path: Path) -> None:
    """The digest's read of a day (the ledger's copy of each current version) says what the
    whole reports say now: kind, answers (text, numbers, unanswered), incidents, late."""
    async with await sample_db(tmp_path) as db:
        qj01, (wang, chao, _) = await grid_and_workers(db)
        qj03, (wang_xj, *_) = await grid_and_workers(db, "QJ-03")
        filed, _ = await file_detailed(db, qj01, wang)
        await file_detailed(db, qj03, wang_xj, DAY - timedelta(days=1))
        await db.reports.correct(
            filed.id,
            kind=ReportKind.ZERO,
            values={"screened": 0, "note": "补报：无新增"},
            incidents=[FEVER],
            baseline={},
            worker_id=chao.id,
            at=AT + timedelta(hours=2),
            reason="其实无新增",
            expected_version=1,
        )
        whole = await db.reports.reports_on(DAY)

        current = await db.reports.current_on(DAY)

        assert [report.id for report in current] == [report.id for report in whole] == [filed.id]
        [now], [report] = current, whole
        assert (now.grid_id, now.day, now.submitted_at, now.late) == (qj01.id, DAY, AT, False)
        assert (now.kind, now.incident_count) == (report.kind, report.incident_count)
        assert (now.kind, now.incident_count) == (ReportKind.ZERO, 1)
        keys = {"screened", "note", "optional"}
        answers = {key: now.values.get(key) for key in keys}
        assert answers == {key: report.values.get(key) for key in keys}
        assert answers == {"screened": 0, "note": "补报：无新增", "optional": None}
        assert await db.reports.current_on(DAY + timedelta(days=1)) == []


async def test_days_before_reads_each_report_as_it_stands(tmp_path: Path) -> None:
    """What a digest reads of the day before its day: per grid with a report, how it stood
    (timeliness, and kind as corrected) and its answers to the counts asked as they stand
    now, 0 for a count it has no answer to or one that is not a number, also one no report
    has ever answered (a field added to the form since); grids without a report (excused
    or not) and other days' reports are left out."""
    async with await sample_db(tmp_path) as db:
        qj01, (wang, chao, _) = await grid_and_workers(db)
        qj02 = await grid_and_workers(db, "QJ-02")
        qj03, (wang_xj, *_) = await grid_and_workers(db, "QJ-03")
        qj04 = await grid_and_workers(db, "QJ-04")
        filed, _ = await file_detailed(db, qj01, wang, screened=7)
        await _file(db, qj02, DAY, late=True)  # a zero report, filed late
        await file_detailed(db, qj03, wang_xj, DAY - timedelta(days=1))
        await db.schedule.excuse(qj04[1][0].id, DAY, reason="病假", actor=1, at=AT)
        counts = ["screened", "optional", "never_asked", "note"]

        before = await db.reports.days_before(DAY, counts)
        in_order = await db.reports.days_before(DAY, ["screened", "note", "optional"])
        await db.reports.correct(
            filed.id,
            kind=ReportKind.ZERO,
            values={"screened": 0, "note": "补报"},
            incidents=[],
            baseline={},
            worker_id=chao.id,
            at=AT + timedelta(hours=2),
            reason="其实无新增",
            expected_version=1,
        )
        after = await db.reports.days_before(DAY, counts)

        assert before == {
            qj01.id: DayBefore(GridDayKind.ON_TIME, (7, 0, 0, 0)),
            qj02[0].id: DayBefore(GridDayKind.LATE_ZERO, (0, 0, 0, 0)),
        }
        assert in_order == {  # the keys answered first, in their order
            qj01.id: DayBefore(GridDayKind.ON_TIME, (7, 0, 0)),
            qj02[0].id: DayBefore(GridDayKind.LATE_ZERO, (0, 0, 0)),
        }
        assert after == {
            qj01.id: DayBefore(GridDayKind.ZERO, (0, 0, 0, 0)),
            qj02[0].id: DayBefore(GridDayKind.LATE_ZERO, (0, 0, 0, 0)),
        }
        assert await db.reports.days_before(DAY, ["note", "screened"]) == {
            qj01.id: DayBefore(GridDayKind.ZERO, (0, 0)),
            qj02[0].id: DayBefore(GridDayKind.LATE_ZERO, (0, 0)),
        }
        assert await db.reports.days_before(DAY, []) == {
            qj01.id: DayBefore(GridDayKind.ZERO, ()),
            qj02[0].id: DayBefore(GridDayKind.LATE_ZERO, ()),
        }
        assert await db.reports.days_before(DAY + timedelta(days=1), counts) == {}


async def test_late_and_missing_counts_reports_and_excusals(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        days = [DAY + timedelta(days=n) for n in range(3)]
        filer, both, excused_only = [
            await grid_and_workers(db, code) for code in ("QJ-01", "QJ-02", "QJ-03")
        ]
        for day, late in ((days[0], True), (days[1], False), (days[2], True)):
            await _file(db, filer, day, late=late)
        await _file(db, both, days[0], late=True)
        for day in days[:2]:  # a report beats an excusal of its day
            await db.schedule.excuse(both[0].id, day, reason="病假", actor=1, at=AT)
        await db.schedule.excuse(excused_only[0].id, days[2], reason="病假", actor=1, at=AT)
        await db.schedule.excuse(
            excused_only[0].id, DAY - timedelta(days=1), reason="x", actor=1, at=AT
        )
        assert await db.reports.late_and_missing(days) == {
            filer[0].id: (2, 0),
            both[0].id: (1, 1),
            excused_only[0].id: (0, 2),
        }


async def _file(db: Database, grid: tuple[Grid, list[Worker]], day: date, *, late: bool) -> None:
    await db.reports.file(
        grid_id=grid[0].id,
        day=day,
        kind=ReportKind.ZERO,
        values={},
        incidents=(),
        baseline={},
        worker_id=grid[1][0].id,
        at=AT,
        late=late,
    )
