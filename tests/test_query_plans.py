"""The lookups by day that every digest and every day of a ledger export make read the
indexes migration 0012 made for them, and the owed confirmations the index of unfinished
sends (0015); an index is silently left unused if a query's WHERE stops matching it (a
partial index needs its predicate repeated) or its ORDER BY makes another order cheaper."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from storage_fixtures import open_db

from storage.ledger_export import REMINDER_ROUNDS_CELL
from storage.reports import WEEK_COUNTS
from storage.schedule import EXCUSED_ON_DAY, REMINDER_ROUNDS_OF_DAY, UNFINISHED_SENDS

DAY = {"day": "2026-11-22"}


Params = tuple[str, ...] | dict[str, str]


def plan(db_path: Path, sql: str, params: Params) -> str:
    """SQLite's query plan of ``sql``, its steps' details in one text."""
    with sqlite3.connect(db_path) as conn:
        steps = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return "\n".join(str(step[-1]) for step in steps)


@pytest.mark.parametrize(
    ("sql", "params", "index"),
    [
        (REMINDER_ROUNDS_OF_DAY, ("2026-11-22",), "sends_reminders"),
        (EXCUSED_ON_DAY, ("2026-11-22",), "excusals_by_day"),
        (
            f"SELECT {REMINDER_ROUNDS_CELL} FROM (SELECT id AS grid_id FROM grids) AS s",
            DAY,
            "sends_reminders",
        ),
        (UNFINISHED_SENDS, ("2026-11-16", "8", "confirm:", "", ""), "sends_unfinished"),
    ],
    ids=["digest reminders", "digest excusals", "ledger reminders", "owed confirmations"],
)
async def test_a_days_lookup_reads_its_index(
    tmp_path: Path, sql: str, params: Params, index: str
) -> None:
    db = await open_db(tmp_path)
    await db.close()
    assert f"INDEX {index}" in plan(db.path, sql, params)


async def test_the_weekly_tally_reads_the_marks_of_its_weeks_only(tmp_path: Path) -> None:
    """Monday's tally seeks each week asked for into the week marks (migration 0013), whose
    JSON is read once (reparsed for every row of the join, it tripled the query's time)."""
    db = await open_db(tmp_path)
    await db.close()
    steps = plan(db.path, WEEK_COUNTS, {"weeks": '[["2026-11-16", 127]]'})
    assert "SEARCH m USING PRIMARY KEY (monday=?)" in steps
    assert "MATERIALIZE weeks" in steps
