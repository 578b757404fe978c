"""Validation rules: parts within wholes, stocks that add up, sizes of the grid, spikes."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.form import load_form
from bot.domain.models import Report, ReportKind, ReportVersion, Values
from bot.domain.rules import RuleContext, Violation, evaluate, history_from, history_window
from bot.domain.stocks import zero_values

FORM = load_form()
OPENINGS = {"home_isolation": 46, "central_isolation": 2}
GRID = {"households": 500, "population": 1500}
CTX = RuleContext(openings=OPENINGS, grid=GRID)


def good() -> Values:
    return {
        **zero_values(FORM),
        "screened": 120,
        "households_visited": 40,
        "arrivals": 5,
        "arrivals_risk": 1,
        "home_iso_in": 3,
        "home_iso_out": 1,
        "fever_found": 1,
        "fever_referred": 1,
        "disinfection": 2,
    }


def ids(violations: list[Violation]) -> list[str]:
    return [violation.rule_id for violation in violations]


def test_a_good_report_passes() -> None:
    assert evaluate(FORM, good(), CTX) == []


def test_part_bigger_than_whole_is_hard() -> None:
    violations = evaluate(FORM, {**good(), "arrivals_risk": 6}, CTX)
    assert ids(violations) == ["arrivals_risk_within_arrivals"]
    violation = violations[0]
    assert violation.severity == "hard"
    assert violation.fields == ("arrivals_risk", "arrivals")
    assert violation.params == {"left": 6, "right": 5}
    assert violation.render("zh_CN") == "其中来自中高风险地区 6 人，多于新增返乡/外来人员 5 人。"
    assert "6" in violation.render("en") and "5" in violation.render("en")


def test_referred_more_than_found_is_hard() -> None:
    violations = evaluate(FORM, {**good(), "fever_referred": 2}, CTX)
    assert ids(violations) == ["fever_referred_within_found"]


def test_releasing_more_than_under_management_is_hard() -> None:
    violations = evaluate(FORM, {**good(), "home_iso_out": 50}, CTX)
    assert ids(violations) == ["home_iso_release_within_managed"]
    assert violations[0].params == {"left": 50, "right": 49}
    central = evaluate(FORM, {**good(), "central_iso_out": 3}, CTX)
    assert ids(central) == ["central_iso_release_within_managed"]
    assert evaluate(FORM, {**good(), "central_iso_out": 2}, CTX) == []


def test_grid_size_rules_are_soft_and_skipped_when_unknown() -> None:
    values = {**good(), "households_visited": 12000, "screened": 15000}
    violations = evaluate(FORM, values, CTX)
    assert ids(violations) == ["households_within_grid", "screened_within_population"]
    assert {v.severity for v in violations} == {"soft"}
    assert violations[0].params == {"left": 12000, "right": 500}
    unknown = RuleContext(openings=OPENINGS, grid={"households": None})
    assert evaluate(FORM, values, unknown) == []


def test_no_disinfection_is_soft() -> None:
    violations = evaluate(FORM, {**good(), "disinfection": 0}, CTX)
    assert ids(violations) == ["disinfection_done"]
    assert violations[0].severity == "soft"
    assert "消杀" in violations[0].render("zh_CN")


def test_hard_before_soft_then_form_order() -> None:
    values = {**good(), "disinfection": 0, "fever_referred": 5, "arrivals_risk": 9}
    assert ids(evaluate(FORM, values, CTX)) == [
        "arrivals_risk_within_arrivals",
        "fever_referred_within_found",
        "disinfection_done",
    ]


def test_unanswered_fields_make_a_rule_not_yet_checkable() -> None:
    assert evaluate(FORM, {"arrivals_risk": 6}, CTX) == []
    assert ids(evaluate(FORM, {"arrivals_risk": 6, "arrivals": 1}, CTX)) == [
        "arrivals_risk_within_arrivals"
    ]


def test_skipped_fields_count_as_zero() -> None:
    # arrivals is 0, so arrivals_risk is not asked and cannot exceed it
    assert evaluate(FORM, {"arrivals": 0}, CTX) == []
    # nothing in isolation, nothing new: releasing is not asked, so the rule holds
    empty = RuleContext(openings={"home_isolation": 0}, grid=GRID)
    assert evaluate(FORM, {"home_iso_in": 0}, empty) == []


def test_touching_only_checks_rules_involving_the_field() -> None:
    values = {**good(), "arrivals_risk": 9, "disinfection": 0}
    assert ids(evaluate(FORM, values, CTX, touching="arrivals")) == [
        "arrivals_risk_within_arrivals"
    ]
    assert ids(evaluate(FORM, values, CTX, touching="disinfection")) == ["disinfection_done"]
    assert evaluate(FORM, values, CTX, touching="screened") == []
    released = {**good(), "home_iso_out": 60}
    assert ids(evaluate(FORM, released, CTX, touching="home_iso_in")) == [
        "home_iso_release_within_managed"
    ]


def test_spike() -> None:
    ctx = RuleContext(openings=OPENINGS, grid=GRID, history={"screened": [100, 120, 110]})
    assert evaluate(FORM, {**good(), "screened": 330}, ctx) == []
    violations = evaluate(FORM, {**good(), "screened": 1200}, ctx)
    assert ids(violations) == ["spike"]
    spike = violations[0]
    assert spike.fields == ("screened",)
    assert spike.params == {"value": 1200, "median": 110, "factor": 3.0}
    assert spike.render("zh_CN") == (
        "排查人数今天是 1200，超过近期中位数 110 的 3 倍。是否多打了一位？"
    )
    assert "People screened" in spike.render("en")


def test_spike_needs_enough_history_and_a_positive_median() -> None:
    short = RuleContext(openings=OPENINGS, history={"screened": [100, 120]})
    assert evaluate(FORM, {**good(), "screened": 1200}, short) == []
    zeros = RuleContext(openings=OPENINGS, history={"fever_found": [0, 0, 0, 1]})
    assert evaluate(FORM, {**good(), "fever_found": 9, "fever_referred": 0}, zeros) == []


def test_spike_uses_only_the_window() -> None:
    # over the whole list the median is 10; over the last 14 values it is 1000
    history = {"screened": [10] * 20 + [1000] * 10}
    ctx = RuleContext(openings=OPENINGS, history=history)
    assert evaluate(FORM, {**good(), "screened": 1200}, ctx) == []


def test_spike_touching() -> None:
    ctx = RuleContext(openings=OPENINGS, history={"screened": [10, 10, 10], "arrivals": [1] * 3})
    values = {**good(), "screened": 100, "arrivals": 5}
    assert ids(evaluate(FORM, values, ctx)) == ["spike", "spike"]
    assert [v.fields for v in evaluate(FORM, values, ctx, touching="arrivals")] == [("arrivals",)]


def test_median_renders_naturally() -> None:
    ctx = RuleContext(openings=OPENINGS, history={"screened": [10, 11, 12, 13]})
    violation = evaluate(FORM, {**good(), "screened": 100}, ctx)[0]
    assert "11.5" in violation.render("en")


def _report(day: int, values: Values) -> Report:
    stamp = datetime(2026, 11, day, 17, 0)
    current = ReportVersion(1, ReportKind.DETAILED, values, (), {}, stamp, 1, "林某某", None)
    return Report(day, 1, date(2026, 11, day), stamp, 1, "林某某", False, (current,))


def test_history_from_reports() -> None:
    reports = [
        _report(20, {"screened": 7}),
        _report(3, {"screened": 1, "difficulties": "口罩"}),
        _report(10, {"screened": 2, "arrivals": 4}),
        _report(9, {"screened": 3}),
        _report(12, {"screened": None}),
    ]
    assert history_from(reports, date(2026, 11, 20), 14) == {"screened": [3, 2], "arrivals": [4]}
    assert history_from(reports, date(2026, 11, 21), 1) == {"screened": [7]}


def test_history_window() -> None:
    assert history_window(FORM) == 14
