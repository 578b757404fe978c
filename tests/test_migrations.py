"""A database made by an older gridbot is migrated without losing anything."""

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.models import Supervisor
from storage.db import Database, migrations

OLD_VERSION = 3


def old_database(path: Path) -> None:
    """A version-3 database with a grid, a worker and a report with an incident."""
    db = sqlite3.connect(path)
    for version, sql in migrations()[:OLD_VERSION]:
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    now = "2026-11-20T02:00:00+00:00"
    db.executescript(
        f"""
        INSERT INTO areas (id, parent_id, name, path, created_at)
            VALUES (1, NULL, '街道', '街道', '{now}');
        INSERT INTO grids
            (id, code, name, area_id, households, population, active, created_at, updated_at)
            VALUES (1, 'G-1', '第一网格', 1, 10, 30, 1, '{now}', '{now}');
        INSERT INTO workers (id, grid_id, name, username, telegram_id, active, origin,
                             bound_via, bound_at, created_at, updated_at)
            VALUES (1, 1, '王娜', NULL, 42, 1, 'roster', 'roster_id', '{now}', '{now}', '{now}');
        INSERT INTO reports (id, grid_id, day, submitted_at, submitted_by, late)
            VALUES (1, 1, '2026-11-20', '{now}', 1, 0);
        INSERT INTO report_versions
            (id, report_id, version, kind, answers, baseline, created_at, created_by, reason)
            VALUES (7, 1, 1, 'detailed', '{{"screened": 5}}', '{{}}', '{now}', 1, NULL);
        INSERT INTO incidents
            (id, version_id, position, category, description, urgent, created_at)
            VALUES (1, 7, 1, 'fever', '林某某 发热', 0, '{now}');
        """
    )
    db.close()


async def test_version_3_database_is_migrated_with_its_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite3"
    old_database(path)
    with caplog.at_level(logging.INFO, logger="storage.db"):
        db = await Database.open(path)
    said = [record.getMessage() for record in caplog.records]
    assert f"from schema version 3 to {len(migrations())}" in said[0]
    assert said[1].startswith(f"the database is at schema version {len(migrations())}")
    try:
        report = await db.reports.get(1, datetime(2026, 11, 20).date())
        assert report is not None
        assert report.current.values == {"screened": 5}
        assert report.current.created_by == 1 and report.current.created_by_name == "王娜"
        assert [item.description for item in report.current.incidents] == ["林某某 发热"]
        corrected = await db.reports.correct(
            1,
            kind=report.kind,
            values={"screened": 6},
            incidents=(),
            baseline={},
            worker_id=None,
            at=datetime(2026, 11, 21, tzinfo=UTC),
            reason="核对",
            expected_version=1,
            supervisor=Supervisor(99, "赵主任"),
        )
        assert corrected.current.created_by_name == "赵主任"
    finally:
        await db.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("PRAGMA user_version").fetchone() == (len(migrations()),)


async def test_latest_figures_are_found_in_the_figures_already_there(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for version, sql in migrations()[:10]:
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    now = "2026-11-20T02:00:00+00:00"
    db.execute(f"INSERT INTO areas VALUES (1, NULL, '街道', '街道', '{now}')")
    for grid in (1, 2, 3):
        db.execute(
            "INSERT INTO grids (id, code, name, area_id, households, population, active,"
            f" created_at, updated_at) VALUES (?, ?, '网格', 1, 1, 1, 1, '{now}', '{now}')",
            (grid, f"G-{grid}"),
        )
    figures = [(1, "2026-11-18"), (1, "2026-11-20"), (1, "2026-11-19"), (2, "2026-11-17")]
    for grid, day in figures:
        db.execute(
            "INSERT INTO report_figures VALUES (?, ?, ?)", (grid, day, f'{{"day": ["{day}"]}}')
        )
    db.commit()
    db.close()
    await (await Database.open(path)).close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT * FROM latest_figures ORDER BY grid_id").fetchall() == [
            (1, "2026-11-20", '{"day": ["2026-11-20"]}', "2026-11-19", '{"day": ["2026-11-19"]}'),
            (2, "2026-11-17", '{"day": ["2026-11-17"]}', None, None),
        ]
