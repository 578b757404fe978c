"""Filing at the service layer: detailed and zero reports, one per grid and day, the late
flag, hard rules, and the draft a new report starts from."""

from __future__ import annotations

from datetime import timedelta

import pytest
from service_fixtures import COLLEAGUE_ID, DAY, at, grid, worker

from bot.dependencies import Dependencies
from bot.domain.models import Incident, ReportKind
from bot.domain.stocks import zero_values
from bot.usecases import filing
from bot.usecases.errors import RulesRejected


def answers(deps: Dependencies, **given: int) -> dict[str, int | str | None]:
    """A detailed report's values: every count 0 except ``given``."""
    return {**zero_values(deps.form), **given}


async def test_a_detailed_report_is_filed_once_with_its_incidents(deps: Dependencies) -> None:
    filer, qj01 = await worker(deps), await grid(deps, "QJ-01")
    incident = Incident("fever", "3号楼发热1人", urgent=True)
    filed = await filing.file_report(
        deps,
        worker_id=filer.id,
        grid_id=qj01.id,
        day=DAY,
        values=answers(deps, screened=120, arrivals=3),
        incidents=[incident],
        baseline={"home_isolation": 4, "central_isolation": 0},
    )
    assert filed.created and not filed.report.late
    stored = await filing.report_of(deps, qj01.id, DAY)
    assert stored is not None and stored.kind == ReportKind.DETAILED
    assert stored.current.values["screened"] == 120
    assert stored.current.incidents == (incident,)
    assert stored.current.baseline == {"home_isolation": 4, "central_isolation": 0}
    assert stored.submitted_by_name == "王娜"


async def test_a_second_filing_of_the_grid_day_writes_nothing(deps: Dependencies) -> None:
    qj01 = await grid(deps, "QJ-01")
    first = await filing.file_zero_report(
        deps, worker_id=(await worker(deps)).id, grid_id=qj01.id, day=DAY
    )
    second = await filing.file_report(
        deps,
        worker_id=(await worker(deps, COLLEAGUE_ID)).id,
        grid_id=qj01.id,
        day=DAY,
        values=answers(deps, screened=5),
        incidents=[],
        baseline={},
    )
    assert first.created and not second.created
    assert second.report.id == first.report.id and second.report.kind == ReportKind.ZERO
    stored = await filing.report_of(deps, qj01.id, DAY)
    assert stored is not None and len(stored.versions) == 1


async def test_a_report_after_the_deadline_is_late(deps: Dependencies) -> None:
    at(deps, 17, 1)
    filed = await filing.file_zero_report(
        deps, worker_id=(await worker(deps)).id, grid_id=(await grid(deps, "QJ-01")).id, day=DAY
    )
    assert filed.report.late


async def test_values_breaking_a_hard_rule_are_refused_and_nothing_is_written(
    deps: Dependencies,
) -> None:
    qj01 = await grid(deps, "QJ-01")
    with pytest.raises(RulesRejected) as refused:
        await filing.file_report(
            deps,
            worker_id=(await worker(deps)).id,
            grid_id=qj01.id,
            day=DAY,
            values=answers(deps, arrivals=1, arrivals_risk=2),
            incidents=[],
            baseline={"home_isolation": 0, "central_isolation": 0},
        )
    assert [item.rule_id for item in refused.value.violations] == ["arrivals_risk_within_arrivals"]
    assert await filing.report_of(deps, qj01.id, DAY) is None


async def test_a_zero_report_carries_the_stocks_forward(deps: Dependencies) -> None:
    filer, qj01 = await worker(deps), await grid(deps, "QJ-01")
    yesterday = DAY - timedelta(days=1)
    first = await filing.preview_zero_report(deps, qj01.id, yesterday)
    assert first.first_report
    await filing.file_report(
        deps,
        worker_id=filer.id,
        grid_id=qj01.id,
        day=yesterday,
        values=answers(deps, home_iso_in=2),
        incidents=[],
        baseline={"home_isolation": 5, "central_isolation": 1},
    )
    preview = await filing.preview_zero_report(deps, qj01.id, DAY)
    assert not preview.first_report
    assert preview.openings == {"home_isolation": 7, "central_isolation": 1}
    filed = await filing.file_zero_report(deps, worker_id=filer.id, grid_id=qj01.id, day=DAY)
    assert filed.report.kind == ReportKind.ZERO and filed.report.current.baseline == {}
    assert await filing.openings_of(deps, filed.report) == preview.openings


async def test_a_new_draft_knows_what_to_ask_first(deps: Dependencies) -> None:
    draft = await filing.start_draft(deps, await grid(deps, "QJ-01"), DAY)
    assert draft.grid_name == "第一网格" and draft.day == DAY
    assert draft.pending_baseline == ["home_isolation", "central_isolation"]
    assert draft.grid_facts == {"households": 445, "population": 1276}
