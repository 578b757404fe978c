"""The export's compact copy of the reports and running figures (``ledger_reports``,
``ledger_figures``, kept by triggers; migration 0008) always equals what it copies: whatever
is filed and corrected, with incidents or not, after a rebuild of the figures, and in a
database made before the copy existed. The fields marked as holding text (migration 0009)
are exactly those whose answers ever held text."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_running_figures import AT, FIRST, Filing, Fix, filings, fixes, play, street

from bot.domain.dates import DayRange
from bot.domain.models import Incident, ReportKind
from bot.ledger_file import LedgerRequest, write_ledger
from storage.db import Database, migrations

Kept = tuple[dict[int, tuple[Any, ...]], dict[tuple[str, int], dict[str, Any]]]


def kept(path: Path) -> Kept:
    """The copy, decoded: each report's (version, kind, incidents, answers by key), and each
    grid-day's first figures by key."""
    with sqlite3.connect(path) as conn:
        keys = dict(conn.execute("SELECT position - 1, key FROM ledger_keys"))

        def by_key(array: str) -> dict[str, Any]:
            return {
                keys[n]: value for n, value in enumerate(json.loads(array)) if value is not None
            }

        reports = {
            report_id: (version, kind, incidents, by_key(answers))
            for report_id, version, kind, incidents, answers in conn.execute(
                "SELECT report_id, version, kind, incidents, answers FROM ledger_reports"
            )
        }
        figures = {
            (day, grid_id): by_key(firsts)
            for day, grid_id, firsts in conn.execute(
                "SELECT day, grid_id, firsts FROM ledger_figures"
            )
        }
    return reports, figures


def copied(path: Path) -> Kept:
    """What the copy must hold, from the reports, their versions and the running figures."""
    with sqlite3.connect(path) as conn:
        reports = {
            report_id: (version, kind, incidents, _present(json.loads(answers)))
            for report_id, version, kind, incidents, answers in conn.execute(
                "SELECT v.report_id, v.version, v.kind,"
                " (SELECT count(*) FROM incidents WHERE version_id = v.id), v.answers"
                " FROM report_versions v WHERE v.version ="
                " (SELECT max(version) FROM report_versions WHERE report_id = v.report_id)"
            )
        }
        figures = {
            (day, grid_id): _present({key: run[0] for key, run in json.loads(runs).items()})
            for day, grid_id, runs in conn.execute("SELECT day, grid_id, runs FROM report_figures")
        }
    return reports, figures


def marked_texts(path: Path) -> set[str]:
    """The fields the copy marks as holding text."""
    with sqlite3.connect(path) as conn:
        return {key for (key,) in conn.execute("SELECT key FROM ledger_keys WHERE texts")}


def held_texts(path: Path) -> set[str]:
    """The fields whose answers held anything but a number in some version."""
    with sqlite3.connect(path) as conn:
        return {
            key
            for (answers,) in conn.execute("SELECT answers FROM report_versions")
            for key, value in json.loads(answers).items()
            if not isinstance(value, int | float | None)
        }


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


async def check(steps: list[Filing | Fix]) -> None:
    async with street(2) as services:
        await play(services, steps)
        path = services.db.path
        assert kept(path) == copied(path)
        assert marked_texts(path) == held_texts(path)
        await services.db.figures.rebuild()
        assert kept(path) == copied(path)


texts = st.builds(
    Fix,
    st.integers(0, 50),
    st.fixed_dictionaries({"difficulties": st.text(max_size=8)}),
    st.just({}),
)
"""A correction to a free-text answer only."""


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(filings, fixes, texts), max_size=20))
def test_the_copy_equals_the_reports_whatever_is_filed_and_corrected(
    steps: list[Filing | Fix],
) -> None:
    asyncio.run(check(steps))


def test_incidents_count_for_the_current_version_only() -> None:
    async def run() -> None:
        async with street(1) as services:
            (grid,) = await services.db.roster.grids()
            (worker,) = await services.db.roster.workers_of_grid(grid.id)
            fever = Incident("fever", "3栋林某某发热", urgent=False)
            report, _ = await services.db.reports.file(
                grid_id=grid.id,
                day=FIRST,
                kind=ReportKind.DETAILED,
                values={"screened": 3, "difficulties": '口罩不足，"急"\n=1+1'},
                incidents=(fever, fever),
                baseline={},
                worker_id=worker.id,
                at=AT,
                late=False,
            )
            reports, _ = kept(services.db.path)
            assert reports[report.id] == (
                1,
                "detailed",
                2,
                {"screened": 3, "difficulties": '口罩不足，"急"\n=1+1'},
            )
            await services.db.reports.correct(
                report.id,
                kind=ReportKind.ZERO,
                values={},
                incidents=(fever,),
                baseline={},
                worker_id=worker.id,
                at=AT + timedelta(hours=1),
                reason="更正",
                expected_version=1,
            )
            reports, _ = kept(services.db.path)
            assert reports[report.id] == (2, "zero", 1, {})
            assert kept(services.db.path) == copied(services.db.path)
            assert marked_texts(services.db.path) == {"difficulties"}

    asyncio.run(run())


def test_a_free_text_with_a_nul_reaches_both_ledgers_whole(tmp_path: Path) -> None:
    typed = "口罩\x00不足 _x0041_"

    async def run() -> None:
        async with street(1) as services:
            (grid,) = await services.db.roster.grids()
            (worker,) = await services.db.roster.workers_of_grid(grid.id)
            await services.db.reports.file(
                grid_id=grid.id,
                day=FIRST,
                kind=ReportKind.DETAILED,
                values={"screened": 3, "difficulties": typed},
                incidents=(),
                baseline={},
                worker_id=worker.id,
                at=AT,
                late=False,
            )
            for fmt in ("csv", "xlsx"):
                request = LedgerRequest(DayRange(FIRST, FIRST), None, fmt, "zh_CN")
                await write_ledger(services, request, tmp_path / f"ledger.{fmt}")

    asyncio.run(run())
    with zipfile.ZipFile(tmp_path / "ledger.csv") as archive:
        content = archive.read("日报台账.csv").decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content, newline="")) for cell in row]
    assert [cell for cell in cells if "口罩" in cell] == [typed.replace("\x00", "\ufffd")]
    with zipfile.ZipFile(tmp_path / "ledger.xlsx") as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert ">口罩_x0000_不足 _x005F_x0041_<" in xml  # as Excel escapes


def test_a_database_made_before_the_copy_gets_it_when_opened(tmp_path: Path) -> None:
    steps: list[Filing | Fix] = [
        Filing(0, 0, {"screened": 5, "home_iso_in": 2}, {"home_isolation": 10}),
        Filing(1, 0, {"screened": 1}, {}),
        Filing(0, 2, {"screened": 7, "home_iso_out": 1}, {}),
        Fix(0, {"screened": 50, "home_iso_in": 4}, {"home_isolation": 10}),
        Fix(
            1, {"screened": 1, "difficulties": "口罩\x00不足"}, {}
        ),  # cut by 0008, whole since 0010
    ]
    old = tmp_path / "old.sqlite3"

    async def run() -> None:
        async with street(2) as services:
            await play(services, steps)
            expected = copied(services.db.path)
            with sqlite3.connect(services.db.path) as source, sqlite3.connect(old) as target:
                source.backup(target)
        _back_to_version_7(old)
        db = await Database.open(old)
        await db.close()
        assert copied(old) == expected
        assert kept(old) == expected
        assert expected[1]  # the figures were there to copy
        assert marked_texts(old) == {"difficulties"}

    asyncio.run(run())


def _back_to_version_7(path: Path) -> None:
    """The schema as migration 0007 left it (the copy's tables and triggers dropped, those
    of latest_figures, migration 0011, the indexes by day of migration 0012, the week
    marks of migration 0013, the reminder rounds of migration 0014 and the index of
    unfinished sends of migration 0015)."""
    version = 7
    assert migrations()[version][1].startswith("-- What the ledger export")
    with sqlite3.connect(path) as conn:
        triggers = [name for (name,) in conn.execute(_OWN, ("trigger",))]
        tables = [name for (name,) in conn.execute(_OWN, ("table",))]
        for name in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        for name in tables:
            conn.execute(f"DROP TABLE {name}")
        conn.execute("DROP INDEX excusals_by_day")
        conn.execute("DROP INDEX sends_reminders")
        conn.execute("DROP INDEX sends_unfinished")
        conn.execute(f"PRAGMA user_version = {version}")


_OWN = (
    "SELECT name FROM sqlite_schema WHERE type = ?"
    " AND (name LIKE 'ledger%' OR name LIKE 'latest_figures%' OR name LIKE 'week_marks%'"
    " OR name = 'reminder_rounds')"
)
