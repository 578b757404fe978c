"""The generated district (:mod:`storage.synthetic`, the benchmarks' world) is what the bot
itself would have made of those days: the send log holds what the scheduler sends to the
grids missing at each moment of the default plan; a supervisor reads the excusals, urgent
incidents and reminders back in the digest and the ledger; the bot finds no alert left to
record or post and no send left to make; and the kept figures and the ledger's copy equal a
rebuild."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ledger_scenario import counts
from test_ledger_cells import copied, kept
from test_running_figures import from_scratch

from bot import ledger_file
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.digest.render import render_digest
from bot.domain.ledger_tables import ExportFormat, Sheet
from bot.domain.models import Grid, Report
from bot.domain.plan import DailyTimes, SendKind, day_plan
from bot.domain.status import GridDay
from bot.ledger_file import LedgerRequest, write_ledger
from bot.usecases.alerting import urgent_categories
from bot.usecases.digests import compile_area_digest, digest_areas
from storage import synthetic
from storage.alerts import Alert
from storage.ledger_export import ReportRows, SpelledRows
from storage.schedule import SendStatus

TZ = ZoneInfo("Asia/Shanghai")
GRIDS = 600
DAYS = DayRange(date(2026, 3, 1), date(2026, 3, 10))
NAGS = {SendKind.PROMPT, SendKind.REMIND, SendKind.LATE_NAG}
DAYS_END = datetime.combine(DAYS.last + timedelta(days=1), time(), tzinfo=TZ)


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    """The generated district of :data:`GRIDS` grids over :data:`DAYS`, its running figures
    rebuilt (as the benchmarks' world is); the clock at 20:00 on the last day."""
    settings = Settings(_env_file=None, db=tmp_path / "world.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime.combine(DAYS.last, time(20), tzinfo=TZ))
    async with open_dependencies(settings, clock) as opened:
        answers = counts(screened=10, home_iso_in=1)
        joined = datetime.combine(DAYS.first - timedelta(days=1), time(9), tzinfo=TZ)
        categories = opened.form.incident_categories
        await synthetic.populate(opened.db, GRIDS, DAYS, answers, joined, categories)
        await opened.db.figures.rebuild()
        yield opened


def excused_at(deps: Dependencies, day: date) -> dict[int, datetime]:
    """When each grid was excused on ``day``."""
    with sqlite3.connect(deps.settings.db) as conn:
        rows = conn.execute("SELECT grid_id, excused_at FROM excusals WHERE day = ?", (str(day),))
        return {grid_id: datetime.fromisoformat(at) for grid_id, at in rows}


async def reports_of(deps: Dependencies, day: date) -> dict[int, Report]:
    return {report.grid_id: report for report in await deps.db.reports.reports_on(day)}


def missing_then(
    grids: list[Grid],
    day: date,
    reports: dict[int, Report],
    excusals: tuple[dict[int, str], dict[int, datetime]],
    moment: datetime,
) -> list[Grid]:
    """The grids the bot takes as missing at ``moment``: neither reported nor excused yet."""
    reasons, excused_at = excusals
    return [
        grid
        for grid in grids
        if GridDay(
            grid,
            day,
            report if (report := reports.get(grid.id)) and report.submitted_at <= moment else None,
            reasons.get(grid.id) if excused_at.get(grid.id, DAYS_END) <= moment else None,
        ).is_missing
    ]


def passed_up(alert: Alert) -> datetime | None:
    """When the alert was posted to a group above the grid's own, if it was."""
    return min((post.posted_at for post in alert.posts if post.level > 0), default=None)


async def test_the_send_log_holds_what_the_scheduler_sends_to_the_grids_missing_then(
    deps: Dependencies,
) -> None:
    grids = await deps.db.roster.grids()
    workers = await deps.db.roster.active_workers_of([grid.id for grid in grids])
    groups = {chat for chat, _ in await deps.db.groups.bindings()}
    assert len(groups) == 1 + synthetic.STREETS + synthetic.COMMUNITIES
    for day in DAYS.days():
        reports, excused = await reports_of(deps, day), await deps.db.schedule.excused(day)
        when = excused_at(deps, day)
        for planned in day_plan(DailyTimes.from_settings(deps.settings), day):
            records = await deps.db.schedule.records(day, planned.key)
            assert {record.status for record in records} <= {SendStatus.SENT}
            assert {record.planned_at for record in records} <= {planned.at}
            if planned.kind not in NAGS:
                wanted = set() if planned.kind == SendKind.DIGEST and day == DAYS.last else groups
                assert {record.key.target for record in records} == wanted, planned
                continue
            missing = missing_then(grids, day, reports, (excused, when), planned.at)
            targets = {worker.telegram_id for grid in missing for worker in workers[grid.id]}
            assert {record.key.target for record in records} == targets, planned
            assert {record.grid_id for record in records} == {grid.id for grid in missing}


async def test_a_supervisor_reads_excusals_urgent_incidents_and_reminders_in_the_digest(
    deps: Dependencies,
) -> None:
    [top] = await digest_areas(deps)
    grids = {grid.id: grid for grid in await deps.db.roster.grids()}
    shown_passed_up = False
    for day in DAYS.days():
        reports, excused = await reports_of(deps, day), await deps.db.schedule.excused(day)
        digest = await compile_area_digest(deps, top, day)
        status = digest.status

        away = {grids[grid_id] for grid_id in excused if grid_id not in reports}
        assert {item.grid for item in status.excused} == away and away
        assert status.completeness.excused == len(away)
        reported = {item.grid for item in (*status.on_time, *status.late)}
        anyway = {grids[grid_id] for grid_id in excused if grid_id in reports}
        assert anyway and anyway <= reported  # a report beats the excuse
        assert status.completeness.reported == len(reports)
        assert all(item.day.reminders == 3 for item in status.missing)  # two and the late nag

        alerts = await deps.db.alerts.on_day(day)
        urgent = [
            item
            for report in reports.values()
            for item in report.versions[0].incidents
            if item.urgent
        ]
        assert len(alerts) == len(urgent)
        shown = digest.attention.incidents
        assert sorted((item.grid.id, item.description, item.passed_up_at) for item in shown) == (
            sorted((alert.grid_id, alert.description, passed_up(alert)) for alert in alerts)
        )
        assert all(item.acknowledged_by and item.acknowledged_at for item in shown)
        shown_passed_up |= any(item.passed_up_at for item in shown)
        text = "\n".join(render_digest(digest, "zh_CN", table_attached=True))
        assert all(item.description in text for item in shown)
        assert all(f"{item.acknowledged_by} " in text for item in shown)
        if status.missing:
            assert "已催报 3 次" in text
    assert shown_passed_up


async def test_the_ledger_lists_excused_grids_incidents_and_reminders(
    deps: Dependencies, tmp_path: Path
) -> None:
    span = DayRange(DAYS.last - timedelta(days=2), DAYS.last)
    target = tmp_path / "ledger.zip"
    result = await write_ledger(deps, LedgerRequest(span, None, "csv", "zh_CN"), target)
    with zipfile.ZipFile(target) as archive:
        tables = {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))[1:]
            for name in archive.namelist()
        }
    grids = {grid.id: grid for grid in await deps.db.roster.grids()}
    expected_excused, incidents = set(), 0
    for day in span.days():
        reports = await reports_of(deps, day)
        excused = await deps.db.schedule.excused(day)
        expected_excused |= {
            (str(day), grids[grid_id].code, reason)
            for grid_id, reason in excused.items()
            if grid_id not in reports
        }
        incidents += sum(len(report.current.incidents) for report in reports.values())
    rows = tables["日报台账.csv"]
    assert {(row[0], row[2], row[9]) for row in rows if row[4] == "免报"} == expected_excused
    assert {row[10] for row in rows if row[4] == "未报"} == {"3"}
    assert result.rows[Sheet.INCIDENTS] == len(tables["异常情况.csv"]) == incidents > 0
    assert sum(int(row[11] or 0) for row in rows) == incidents
    district = [row for row in tables["报送完整性.csv"] if row[1] == "区"]
    assert sum(int(row[8]) for row in district) == len(expected_excused)  # excused


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_a_ledger_read_in_pieces_of_grids_is_the_ledger_read_whole(
    deps: Dependencies, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: ExportFormat
) -> None:
    """Each reader reads a day a piece of its grids at a time (to keep memory flat); the
    file is byte for byte the same whatever the pieces (a few grids: uneven ends, pieces
    whose grids are all missing or all excused on some days; one grid; or each reader's
    grids whole after the first few)."""
    request = LedgerRequest(DAYS, None, fmt, "zh_CN")
    members = []
    for piece in (2000, 1, 10**9):
        monkeypatch.setattr(ledger_file, "PIECE_BYTES", piece)
        target = tmp_path / f"ledger-{piece}.{fmt}"
        await write_ledger(deps, request, target)
        with zipfile.ZipFile(target) as archive:
            members.append({name: archive.read(name) for name in archive.namelist()})
    assert members[0] == members[1] == members[2]
    assert len(members[0]) == (4 if fmt == "csv" else 10)


async def test_no_piece_a_reader_reads_holds_much_more_text_than_a_piece_should(
    deps: Dependencies, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's day of 300 grids is about 190 KB of XLSX rows: it is read in pieces of
    about :data:`bot.ledger_file.PIECE_BYTES` (so that no block of a day's size is made)."""
    sizes: list[int] = []
    read = ReportRows.day

    def day(self: ReportRows, *args: Any) -> SpelledRows:
        found = read(self, *args)
        sizes.append(len(found.text))
        return found

    monkeypatch.setattr(ReportRows, "day", day)
    await write_ledger(deps, LedgerRequest(DAYS, None, "xlsx", "zh_CN"), tmp_path / "l.xlsx")
    assert sum(sizes) > 10 * 2 * 3 * ledger_file.PIECE_BYTES
    assert max(sizes) < 1.25 * ledger_file.PIECE_BYTES


async def test_the_bot_finds_no_alert_to_record_or_post_and_no_send_to_make(
    deps: Dependencies,
) -> None:
    urgent = urgent_categories(deps.form)
    every_alert = [alert for day in DAYS.days() for alert in await deps.db.alerts.on_day(day)]
    assert every_alert and not await deps.db.alerts.unacknowledged()
    for day in DAYS.days():
        for report in (await reports_of(deps, day)).values():
            if any(item.urgent for item in report.current.incidents):
                again = await deps.db.alerts.raise_new(
                    report.id, urgent_categories=urgent, at=deps.now()
                )
                # a corrected report's alert stays with the incident of its first version
                assert again or len(report.versions) > 1
                assert all(alert.posts and alert.acknowledged for alert in again)
    assert [alert for day in DAYS.days() for alert in await deps.db.alerts.on_day(day)] == (
        every_alert
    )
    sent = await deps.db.schedule.records(DAYS.last)
    claimed = await deps.db.schedule.claim_many(
        [(record.key, record.grid_id) for record in sent], planned_at=deps.now()
    )
    assert {record.status for record in claimed.values()} == {SendStatus.SENT}
    assert await deps.db.schedule.records(DAYS.last) == sent
    assert not await deps.db.schedule.unfinished("", since=DAYS.first)


async def test_the_kept_figures_and_the_ledgers_copy_equal_a_rebuild(
    deps: Dependencies,
) -> None:
    path = deps.settings.db
    assert kept(path) == copied(path)
    grid_ids = [grid.id for grid in await deps.db.roster.grids()]
    daily = await deps.db.figures.daily(grid_ids, DAYS)
    kept_now = await deps.db.figures.as_of(grid_ids[:30], DAYS.last)
    for grid_id in grid_ids[:30]:
        assert kept_now.get(grid_id, {}) == await from_scratch(deps, grid_id, DAYS.last)
    await deps.db.figures.rebuild()
    assert await deps.db.figures.daily(grid_ids, DAYS) == daily
    assert kept(path) == copied(path)


async def test_the_district_has_what_populate_says(deps: Dependencies) -> None:
    with sqlite3.connect(deps.settings.db) as conn:

        def one(sql: str) -> float:
            return float(conn.execute(sql).fetchone()[0])

        grid_days = GRIDS * len(DAYS)
        assert one("SELECT count(*) FROM reports") == grid_days * 0.9
        assert 0.027 < one("SELECT count(*) FROM excusals") / grid_days < 0.033
        detailed = one("SELECT count(*) FROM ledger_reports WHERE kind = 'detailed'")
        with_incidents = one("SELECT count(*) FROM ledger_reports WHERE incidents > 0")
        two = one("SELECT count(*) FROM ledger_reports WHERE incidents = 2")
        assert 0.015 < with_incidents / detailed < 0.025 and 0.4 < two / with_incidents < 0.6
        assert 0.05 < one("SELECT avg(urgent) FROM incidents") < 0.15
        assert one("SELECT count(*) FROM alert_posts WHERE level = 1") / one(
            "SELECT count(*) FROM alerts"
        ) == pytest.approx(0.25, abs=0.1)
