"""Supervision at the service layer: who is missing (one answer for nags, escalation and
/late), excusing a grid, /fix, /away, the digest and its refusal of days to come."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from service_fixtures import COLLEAGUE_ID, DAY, WORKER_ID, at, grid, worker
from storage_fixtures import rows_of, sample_csv

from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.models import Area, ReportKind, Supervisor
from bot.domain.numbers import InputError
from bot.usecases import digests, filing, standing, stats, supervision
from bot.usecases.errors import FutureDay, RulesRejected, UseCaseError

CHIEF = Supervisor(800_000_001, "赵主任")


async def community(deps: Dependencies, path: str = "学院南路街道/前进社区") -> Area:
    [area] = await digests.digest_areas(deps, path)
    return area


async def zero(deps: Dependencies, code: str, day: date = DAY) -> None:
    """A zero report of ``code`` filed by one of its workers (or the roster's first one)."""
    target = await grid(deps, code)
    filer = await deps.db.roster.workers_of_grid(target.id)
    await filing.file_zero_report(deps, worker_id=filer[0].id, grid_id=target.id, day=day)


async def test_missing_grids_are_those_without_report_or_excuse(deps: Dependencies) -> None:
    await zero(deps, "QJ-01")
    await supervision.excuse_grid(
        deps, grid_code="QJ-02", reason="全员培训", actor_id=CHIEF.telegram_id, area=None
    )
    missing = await standing.missing_grids(deps, DAY)
    codes = [item.grid.code for item in missing]
    assert "QJ-01" not in codes and "QJ-02" not in codes
    by_path = ["DG-01", "DG-02", "DG-03", "DG-04", "QJ-03", "QJ-04", "QJ-05", "QJ-06"]
    assert codes == by_path  # 东光社区 sorts before 前进社区
    qj03 = missing[4]
    assert [w.name for w in qj03.workers] == ["王秀静", "郭敏霞"]
    assert [w.name for w in qj03.reachable] == ["王秀静"]  # the only one bound to Telegram
    now = await standing.standing(deps, DAY, await community(deps))
    assert [item.grid.code for item in now.missing] == ["QJ-03", "QJ-04", "QJ-05", "QJ-06"]
    assert (now.counts.expected, now.counts.zero, now.counts.excused) == (
        5,
        1,
        1,
    )  # an excused grid is not expected


async def test_the_escalation_counts_the_areas_grids_still_on_the_roster(
    deps: Dependencies,
) -> None:
    area = await community(deps)
    assert await supervision.grid_count(deps, area) == 6
    rows = [row for row in rows_of(sample_csv()) if row.grid_code != "QJ-06"]
    await deps.db.roster.apply(rows, actor=None, at=deps.now())  # QJ-06 taken off the roster
    assert await supervision.grid_count(deps, area) == 5


async def test_an_excuse_stays_within_the_supervisors_area(deps: Dependencies) -> None:
    qianjin = await community(deps)
    with pytest.raises(UseCaseError) as refused:
        await supervision.excuse_grid(
            deps,
            grid_code="DG-01",
            reason="停电",
            actor_id=1,
            area=qianjin,
        )
    assert refused.value.key == "supervision.unknown_grid"
    excused = await supervision.excuse_grid(
        deps,
        grid_code="QJ-03",
        reason="  停电" + "。" * 300,
        actor_id=1,
        area=qianjin,
    )
    assert excused.day == DAY and len(excused.reason) == 200 and excused.reason.startswith("停电")
    assert (await deps.db.schedule.excused(DAY))[excused.grid.id] == excused.reason


async def test_a_fix_adds_a_version_saying_who_and_why(deps: Dependencies) -> None:
    await zero(deps, "QJ-01")
    fixed = await supervision.fix_report(
        deps,
        grid_code="QJ-01",
        day=DAY,
        field_name="screened",
        value_text="三十",
        reason="漏报3号楼",
        supervisor=CHIEF,
        area=None,
    )
    assert (fixed.old, fixed.new, fixed.version) == (0, 30, 2)
    report = await filing.report_of(deps, fixed.grid.id, DAY)
    assert report is not None and report.kind == ReportKind.DETAILED
    assert report.current.values["screened"] == 30 and report.current.reason == "漏报3号楼"
    assert report.current.created_by_name == "赵主任"
    assert report.versions[0].values["screened"] == 0


@pytest.mark.parametrize(
    ("code", "field", "value", "reason", "refusal"),
    [
        ("XX-99", "screened", "1", "原因", "supervision.unknown_grid"),
        ("QJ-01", "nonsense", "1", "原因", "supervision.fix_unknown_field"),
        ("QJ-02", "screened", "1", "原因", "supervision.fix_no_report"),
        ("QJ-01", "screened", "1", "x", "supervision.fix_reason"),
    ],
)
async def test_a_fix_that_cannot_be_made_writes_nothing(
    deps: Dependencies, code: str, field: str, value: str, reason: str, refusal: str
) -> None:
    await zero(deps, "QJ-01")
    with pytest.raises(UseCaseError) as refused:
        await supervision.fix_report(
            deps,
            grid_code=code,
            day=DAY,
            field_name=field,
            value_text=value,
            reason=reason,
            supervisor=CHIEF,
            area=None,
        )
    assert refused.value.key == refusal
    report = await filing.report_of(deps, (await grid(deps, "QJ-01")).id, DAY)
    assert report is not None and len(report.versions) == 1


async def test_a_fix_is_checked_like_the_form(deps: Dependencies) -> None:
    await zero(deps, "QJ-01")
    common = {"grid_code": "QJ-01", "reason": "核对", "supervisor": CHIEF, "area": None}
    with pytest.raises(InputError):
        await supervision.fix_report(
            deps,
            day=DAY,
            field_name="screened",
            value_text="300余",
            **common,
        )
    with pytest.raises(RulesRejected):
        await supervision.fix_report(
            deps,
            day=DAY,
            field_name="arrivals_risk",
            value_text="2",
            **common,
        )
    with pytest.raises(FutureDay):
        await supervision.fix_report(
            deps,
            day=DAY + timedelta(days=1),
            field_name="screened",
            value_text="1",
            **common,
        )


async def test_away_needs_a_colleague_who_still_gets_the_nags(deps: Dependencies) -> None:
    first, second = await worker(deps, WORKER_ID), await worker(deps, COLLEAGUE_ID)
    colleagues = await supervision.mark_away(deps, first)
    assert [item.name for item in colleagues] == ["王超"]
    with pytest.raises(UseCaseError) as refused:
        await supervision.mark_away(deps, second)
    assert refused.value.key == "supervision.away_alone"
    [qj01] = [m for m in await standing.missing_grids(deps, DAY) if m.grid.code == "QJ-01"]
    assert [item.name for item in qj01.reachable] == ["王超"]


async def test_the_digest_refuses_a_day_to_come(deps: Dependencies) -> None:
    [street] = await digests.digest_areas(deps)
    with pytest.raises(FutureDay):
        await digests.compile_area_digest(deps, street, DAY + timedelta(days=1))
    await zero(deps, "QJ-01")
    at(deps, 20, 0)
    digest = await digests.compile_area_digest(deps, street, DAY)
    assert digest.area == street and digest.day == DAY


async def test_digest_areas_name_the_choices_when_unknown(deps: Dependencies) -> None:
    with pytest.raises(UseCaseError) as refused:
        await digests.digest_areas(deps, "没有这个社区")
    assert refused.value.key == "cli.unknown_area"
    assert "学院南路街道/前进社区" in str(refused.value.params["areas"])


async def test_stats_count_the_period(deps: Dependencies) -> None:
    await zero(deps, "QJ-01", DAY - timedelta(days=1))
    await zero(deps, "QJ-01")
    figures = await stats.area_stats(deps, None, DayRange(DAY - timedelta(days=1), DAY))
    assert figures.days == DayRange(DAY - timedelta(days=1), DAY)
    assert figures.area is None
