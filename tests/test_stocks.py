"""Stock and flow arithmetic over a grid's reports, and skip logic."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.form import CompareRule, load_form
from bot.domain.models import Report, ReportKind, ReportVersion, Values
from bot.domain.stocks import (
    applies,
    closings,
    fill_skipped,
    needs_baseline,
    openings_for,
    operands,
    stock_series,
    zero_values,
)

FORM = load_form()
GRID = {"households": 500, "population": 1500}


def version(
    values: Values,
    baseline: dict[str, int] | None = None,
    *,
    number: int = 1,
    kind: ReportKind = ReportKind.DETAILED,
) -> ReportVersion:
    return ReportVersion(
        version=number,
        kind=kind,
        values=values,
        incidents=(),
        baseline=baseline or {},
        created_at=datetime(2026, 11, 1, 17, 0),
        created_by=1,
        created_by_name="林某某",
        reason=None if number == 1 else "typo",
    )


def report(day: int, *versions: ReportVersion, grid_id: int = 1) -> Report:
    return Report(
        id=day,
        grid_id=grid_id,
        day=date(2026, 11, day),
        submitted_at=datetime(2026, 11, day, 17, 0),
        submitted_by=1,
        submitted_by_name="林某某",
        late=False,
        versions=versions,
    )


def flows(home_in: int = 0, home_out: int = 0, central_in: int = 0, central_out: int = 0) -> Values:
    return {
        **zero_values(FORM),
        "home_iso_in": home_in,
        "home_iso_out": home_out,
        "central_iso_in": central_in,
        "central_iso_out": central_out,
    }


def test_closings() -> None:
    openings = {"home_isolation": 46, "central_isolation": 2}
    assert closings(FORM, openings, flows(3, 1, 0, 2)) == {
        "home_isolation": 48,
        "central_isolation": 0,
    }


def test_closings_treat_missing_as_zero() -> None:
    assert closings(FORM, {}, {}) == {"home_isolation": 0, "central_isolation": 0}


def test_series_carries_closing_into_next_opening() -> None:
    reports = [
        report(3, version(flows(1, 0))),
        report(1, version(flows(3, 1), {"home_isolation": 46, "central_isolation": 0})),
        report(2, version(flows(0, 2))),
    ]
    series = stock_series(FORM, reports)
    assert [day.day.day for day in series] == [1, 2, 3]
    assert [day.opening["home_isolation"] for day in series] == [46, 48, 46]
    assert [day.closing["home_isolation"] for day in series] == [48, 46, 47]
    assert series[0].inflow["home_isolation"] == 3
    assert series[0].outflow["home_isolation"] == 1
    assert series[0].rebased == {"home_isolation", "central_isolation"}
    assert series[1].rebased == frozenset()


def test_zero_report_carries_stocks() -> None:
    reports = [
        report(1, version(flows(3), {"home_isolation": 10})),
        report(2, version({}, kind=ReportKind.ZERO)),
    ]
    assert stock_series(FORM, reports)[-1].closing["home_isolation"] == 13
    assert openings_for(FORM, reports) == {"home_isolation": 13, "central_isolation": 0}


def test_correction_of_an_earlier_day_flows_into_later_days() -> None:
    first = report(1, version(flows(3), {"home_isolation": 10}))
    later = report(2, version(flows(1)))
    assert openings_for(FORM, [first, later])["home_isolation"] == 14
    corrected = report(
        1,
        version(flows(3), {"home_isolation": 10}),
        version(flows(30), {"home_isolation": 10}, number=2),
    )
    assert openings_for(FORM, [corrected, later])["home_isolation"] == 41


def test_baseline_on_a_later_day_rebases() -> None:
    reports = [
        report(1, version(flows(3), {"home_isolation": 10})),
        report(2, version(flows(0), {"home_isolation": 20})),
    ]
    series = stock_series(FORM, reports)
    assert series[1].opening["home_isolation"] == 20
    assert series[1].rebased == {"home_isolation"}


def test_gaps_between_days_carry_the_last_closing() -> None:
    reports = [report(1, version(flows(3), {"home_isolation": 10})), report(5, version(flows()))]
    assert stock_series(FORM, reports)[1].opening["home_isolation"] == 13


def test_series_refuses_mixed_grids() -> None:
    with pytest.raises(ValueError):
        stock_series(FORM, [report(1, version(flows())), report(2, version(flows()), grid_id=2)])


def test_openings_without_history() -> None:
    assert openings_for(FORM, []) == {"home_isolation": 0, "central_isolation": 0}
    assert needs_baseline(FORM, []) == ["home_isolation", "central_isolation"]


def test_needs_baseline_only_once() -> None:
    first = report(1, version(flows(), {"home_isolation": 4, "central_isolation": 0}))
    assert needs_baseline(FORM, [first]) == []


def test_needs_baseline_for_a_stock_added_later() -> None:
    old = report(1, version({"screened": 3}, {"home_isolation": 4}))
    assert needs_baseline(FORM, [old]) == ["central_isolation"]
    with_flows = report(1, version({"central_iso_in": 1}))
    assert needs_baseline(FORM, [with_flows]) == ["home_isolation"]


def test_openings_for_a_day_being_corrected() -> None:
    first = report(1, version(flows(3), {"home_isolation": 10}))
    second = report(2, version(flows(1)))
    third = report(3, version(flows(1)))
    reports = [first, second, third]
    assert openings_for(FORM, reports, day=date(2026, 11, 2))["home_isolation"] == 13
    assert openings_for(FORM, reports, day=date(2026, 11, 1))["home_isolation"] == 10


def test_zero_values() -> None:
    values = zero_values(FORM)
    assert set(values) == {field.key for field in FORM.questions()}
    assert values["screened"] == 0
    assert values["difficulties"] is None


def test_applies_with_ask_if() -> None:
    openings = {"home_isolation": 0, "central_isolation": 0}
    assert applies(FORM, "screened", {}, openings, GRID)
    assert applies(FORM, "arrivals_risk", {}, openings, GRID)  # not decidable yet: ask
    assert not applies(FORM, "arrivals_risk", {"arrivals": 0}, openings, GRID)
    assert applies(FORM, "arrivals_risk", {"arrivals": 2}, openings, GRID)
    assert not applies(FORM, "home_iso_out", {"home_iso_in": 0}, openings, GRID)
    assert applies(FORM, "home_iso_out", {"home_iso_in": 1}, openings, GRID)
    carried = {"home_isolation": 5, "central_isolation": 0}
    assert applies(FORM, "home_iso_out", {"home_iso_in": 0}, carried, GRID)
    assert applies(FORM, FORM.field("home_iso_out"), {"home_iso_in": 0}, carried, GRID)


def test_fill_skipped() -> None:
    openings = {"home_isolation": 0, "central_isolation": 3}
    values: Values = {
        "arrivals": 0,
        "arrivals_risk": 4,
        "home_iso_in": 0,
        "central_iso_in": 0,
        "fever_found": 1,
    }
    filled = fill_skipped(FORM, values, openings, GRID)
    assert filled["arrivals_risk"] == 0  # a skipped count is 0, whatever was typed before
    assert filled["home_iso_out"] == 0
    assert "central_iso_out" not in filled  # still to be asked: 3 people in central isolation
    assert "fever_referred" not in filled
    assert values["arrivals_risk"] == 4  # the input is not changed


def test_operands_resolve_references() -> None:
    rule = next(r for r in FORM.rules if r.id == "home_iso_release_within_managed")
    assert isinstance(rule, CompareRule)
    check = rule.check
    openings = {"home_isolation": 46}
    assert operands(FORM, check, {"home_iso_out": 1}, openings, GRID) is None
    values = {"home_iso_out": 1, "home_iso_in": 3}
    assert operands(FORM, check, values, openings, GRID) == (1, 49)


@given(
    st.integers(0, 1000),
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=20),
)
def test_series_adds_up(start: int, days: list[tuple[int, int]]) -> None:
    reports = [
        report(
            index + 1,
            version(flows(new, out), {"home_isolation": start} if index == 0 else None),
        )
        for index, (new, out) in enumerate(days)
    ]
    series = stock_series(FORM, reports)
    for previous, current in pairwise(series):
        assert current.opening == previous.closing
    for day in series:
        for key in day.closing:
            assert day.closing[key] == day.opening[key] + day.inflow[key] - day.outflow[key]
    total = start + sum(new - out for new, out in days)
    assert openings_for(FORM, reports)["home_isolation"] == total
