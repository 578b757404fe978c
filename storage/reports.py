"""Daily reports: one per grid and day, each with its versions (filing, then corrections)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import aiosqlite

from bot.domain.digest.model import DayBefore, counts_of
from bot.domain.models import (
    CurrentReport,
    FieldValue,
    Incident,
    Report,
    ReportKind,
    ReportVersion,
    Supervisor,
)
from bot.domain.status import GridDayKind
from storage.audit import AuditAction, write_entry
from storage.codec import from_db_day, from_db_time, from_json, to_db_day, to_db_time, to_json
from storage.rows import Params, fetch_all, fetch_one, in_thread, insert_id

if TYPE_CHECKING:
    from storage.db import Database

_REPORTS = (
    "SELECT r.*, w.name AS submitted_by_name FROM reports r"
    " JOIN workers w ON w.id = r.submitted_by WHERE "
)
_BY_GRID_DAY = "r.grid_id = :grid_id AND r.day = :day"
_BY_ID = "r.id = :id"
_HISTORY = "r.grid_id = :grid_id AND r.day < :before AND (:since IS NULL OR r.day >= :since)"
_OFF_LOOP = 200
"""Above this many reports, they are assembled from their rows in a worker thread."""
_CORRECTED = (
    "r.day <= :day AND r.id IN (SELECT report_id FROM report_versions"
    " WHERE version > 1 AND created_at > :since)"
)
_ON_DAY = (
    "r.day = :day AND (:grid_ids IS NULL OR r.grid_id IN (SELECT value FROM json_each(:grid_ids)))"
)

WEEK_COUNTS = (
    "WITH weeks (monday, days) AS MATERIALIZED"
    " (SELECT value ->> 0, value ->> 1 FROM json_each(:weeks))"
    " SELECT m.grid_id, m.late & w.days, (m.filed | m.excused) & w.days"
    " FROM weeks w JOIN week_marks m ON m.monday = w.monday WHERE (m.filed | m.excused) & w.days"
)
"""Per grid and week asked for, the days asked for its report was late on, and those it had a
report or an excusal for (bits of ``week_marks``; grids with neither on those days left out).
The weeks are made once (MATERIALIZED): read in the join, their JSON was parsed again for
every row, which tripled the query's time."""
_DAYS = tuple(bits.bit_count() for bits in range(128))
"""How many days a week's bits mark."""

_FORM_OF_REPORT_DAY = (
    "(SELECT max(f.version) FROM form_versions f JOIN reports r ON r.id = ?"
    " WHERE f.since IS NULL OR f.since <= r.day)"
)
"""The form version in force on the report's day: the form it is filed under."""


class VersionConflict(Exception):
    """A correction was based on a version that is no longer the report's newest: someone
    else corrected it meanwhile. Nothing was written; ``report`` is the report as it is now."""

    def __init__(self, report: Report, expected: int) -> None:
        super().__init__(report.id, expected, report.current.version)
        self.report = report
        self.expected = expected


class ReportRepo:
    """File, correct and read reports."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, grid_id: int, day: date) -> Report | None:
        """The grid's report for ``day`` with all its versions, or None (not reported)."""
        async with self._db.read() as conn:
            found = await _load(conn, _BY_GRID_DAY, {"grid_id": grid_id, "day": to_db_day(day)})
        return found[0] if found else None

    async def file(
        self,
        *,
        grid_id: int,
        day: date,
        kind: ReportKind,
        values: Mapping[str, FieldValue],
        incidents: Sequence[Incident],
        baseline: Mapping[str, int],
        worker_id: int,
        at: datetime,
        late: bool,
    ) -> tuple[Report, bool]:
        """File the grid's report for ``day`` (version 1).

        Returns ``(report, True)``; if the grid already has a report for that day (another
        worker filed it, or the same update was delivered twice) nothing is written and the
        existing report comes back with False.
        """
        async with self._db.transaction() as conn:
            inserted = await fetch_one(
                conn,
                "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (grid_id, day) DO NOTHING RETURNING id",
                (grid_id, to_db_day(day), to_db_time(at), worker_id, late),
            )
            if inserted is None:
                existing = await _load(
                    conn, _BY_GRID_DAY, {"grid_id": grid_id, "day": to_db_day(day)}
                )
                return existing[0], False
            report_id = int(inserted["id"])
            version = _NewVersion(kind, values, incidents, baseline, worker_id, at, None)
            await version.insert(conn, report_id, 1)
            await self._db.figures.refresh(conn, grid_id, day)
            details = {
                "report_id": report_id,
                "grid_id": grid_id,
                "day": day.isoformat(),
                "kind": kind.value,
                "late": late,
            }
            await write_entry(
                conn, await _telegram_id(conn, worker_id), AuditAction.REPORT_FILE, details, at
            )
            return (await _load(conn, _BY_ID, {"id": report_id}))[0], True

    async def correct(
        self,
        report_id: int,
        *,
        kind: ReportKind,
        values: Mapping[str, FieldValue],
        incidents: Sequence[Incident],
        baseline: Mapping[str, int],
        worker_id: int | None,
        at: datetime,
        reason: str,
        expected_version: int | None,
        supervisor: Supervisor | None = None,
    ) -> Report:
        """Add a corrected version (n + 1) saying who, when and why; earlier versions, the
        filing time and the late flag stay as they were. The author is a worker of the roster
        (``worker_id``) or a ``supervisor``, exactly one of them. Raises LookupError for an
        unknown report.

        Optimistic concurrency: the correction was made from version ``expected_version``;
        if the report has a newer one now (or ``expected_version`` is None: not known), it
        raises :class:`VersionConflict` and writes nothing, so nobody's correction is
        silently overwritten."""
        if (worker_id is None) == (supervisor is None):
            raise ValueError("a correction is made by a worker or by a supervisor")
        async with self._db.transaction() as conn:
            row = await fetch_one(
                conn,
                "SELECT r.grid_id, r.day, max(v.version) AS last FROM reports r"
                " JOIN report_versions v ON v.report_id = r.id WHERE r.id = ? GROUP BY r.id",
                (report_id,),
            )
            if row is None:
                raise LookupError(f"no report with id {report_id}")
            if expected_version != int(row["last"]):
                current = (await _load(conn, _BY_ID, {"id": report_id}))[0]
                raise VersionConflict(current, expected_version or 0)
            number = int(row["last"]) + 1
            version = _NewVersion(
                kind, values, incidents, baseline, worker_id, at, reason, supervisor
            )
            await version.insert(conn, report_id, number)
            await self._db.figures.refresh(conn, row["grid_id"], from_db_day(row["day"]))
            details = {
                "report_id": report_id,
                "grid_id": row["grid_id"],
                "day": row["day"],
                "version": number,
                "kind": kind.value,
                "reason": reason,
            }
            actor = supervisor.telegram_id if supervisor else await _telegram_id(conn, worker_id)
            await write_entry(conn, actor, AuditAction.REPORT_CORRECT, details, at)
            return (await _load(conn, _BY_ID, {"id": report_id}))[0]

    async def history(
        self, grid_id: int, *, before: date, since: date | None = None
    ) -> list[Report]:
        """The grid's reports on days ``since`` (inclusive) to ``before`` (exclusive), by day."""
        params = {
            "grid_id": grid_id,
            "before": to_db_day(before),
            "since": None if since is None else to_db_day(since),
        }
        async with self._db.read() as conn:
            return await _load(conn, _HISTORY, params)

    async def reports_on(self, day: date, grid_ids: Iterable[int] | None = None) -> list[Report]:
        """Every report of ``day`` (optionally only these grids), by grid id."""
        params = {
            "day": to_db_day(day),
            "grid_ids": None if grid_ids is None else to_json(list(grid_ids)),
        }
        async with self._db.read() as conn:
            return await _load(conn, _ON_DAY, params)

    async def current_on(self, day: date) -> list[CurrentReport]:
        """Every report of ``day`` as it stands now, by grid id, without its history: read
        from the copy of each report's current version kept for the ledger
        (``ledger_reports``, migration 0008: kind, number of incidents, answers by field
        position), so no current version is looked up and no JSON object parsed per report
        (the digest reads ten thousand of them)."""
        async with self._db.read() as conn:
            keys, rows = await in_thread(conn, _current_rows, to_db_day(day))
        build = partial(_current_reports, day, keys, rows)
        return await asyncio.to_thread(build) if len(rows) > _OFF_LOOP else build()

    async def days_before(self, day: date, counts: Sequence[str]) -> dict[int, DayBefore]:
        """Every report of ``day`` as a digest of the day after reads it, by grid: how the
        grid stood (the report's timeliness and kind, as it stands now) and its answers to
        ``counts``, 0 where it has none (a count not asked that day) or one that is not a
        number. Read from the ledger's copy of each report's current version, like
        :meth:`current_on`, without making a report of each (ten thousand of them)."""
        async with self._db.read() as conn:
            positions, rows = await in_thread(conn, _answer_rows, to_db_day(day), counts)
        build = partial(_days_before, positions, rows)
        return await asyncio.to_thread(build) if len(rows) > _OFF_LOOP else build()

    async def any_on(self, day: date) -> bool:
        """Whether any grid has a report for ``day``."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn,
                "SELECT EXISTS (SELECT 1 FROM reports WHERE day = ?) AS filed",
                (to_db_day(day),),
            )
        return bool(row and row["filed"])

    async def late_and_missing(self, days: Sequence[date]) -> dict[int, tuple[int, int]]:
        """Per grid, on how many of ``days`` its report was late and on how many it had
        neither a report nor an excusal: what a tally of late and missing days needs, read
        from the marks kept of each grid's weeks (migration 0013: one short row a grid and
        week, not the week's reports grouped by grid). A grid left out missed every one of
        ``days``."""
        weeks: dict[str, int] = {}  # each week's Monday: the bits of its days asked for
        for day in days:
            monday = to_db_day(day - timedelta(days=day.weekday()))
            weeks[monday] = weeks.get(monday, 0) | 1 << day.weekday()
        async with self._db.read() as conn:
            rows = await fetch_all(conn, WEEK_COUNTS, {"weeks": to_json(list(weeks.items()))})
        count = sum(bits.bit_count() for bits in weeks.values())
        if len(weeks) == 1:
            return {grid: (_DAYS[late], count - _DAYS[kept]) for grid, late, kept in rows}
        found: dict[int, tuple[int, int]] = {}
        for grid, late, kept in rows:
            before_late, before_missing = found.get(grid, (0, count))
            found[grid] = (before_late + _DAYS[late], before_missing - _DAYS[kept])
        return found

    async def corrected_since(self, since: datetime, *, up_to: date) -> list[Report]:
        """Reports of days up to ``up_to`` corrected after ``since``, with every version."""
        params = {"day": to_db_day(up_to), "since": to_db_time(since)}
        async with self._db.read() as conn:
            return await _load(conn, _CORRECTED, params)


@dataclass(frozen=True, slots=True)
class _NewVersion:
    """The content of a version about to be written."""

    kind: ReportKind
    values: Mapping[str, FieldValue]
    incidents: Sequence[Incident]
    baseline: Mapping[str, int]
    worker_id: int | None
    at: datetime
    reason: str | None
    supervisor: Supervisor | None = None

    async def insert(self, conn: aiosqlite.Connection, report_id: int, number: int) -> None:
        created_at = to_db_time(self.at)
        version_id = await insert_id(
            conn,
            "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
            " created_at, created_by, supervisor_id, supervisor_name, reason, form_version)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_FORM_OF_REPORT_DAY})",
            (
                report_id,
                number,
                self.kind.value,
                to_json(dict(self.values)),
                to_json(dict(self.baseline)),
                created_at,
                self.worker_id,
                self.supervisor.telegram_id if self.supervisor else None,
                self.supervisor.name if self.supervisor else None,
                self.reason,
                report_id,
            ),
        )
        await conn.executemany(
            "INSERT INTO incidents (version_id, position, category, description, urgent,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (version_id, position, item.category, item.description, item.urgent, created_at)
                for position, item in enumerate(self.incidents, start=1)
            ],
        )


async def _telegram_id(conn: aiosqlite.Connection, worker_id: int | None) -> int | None:
    if worker_id is None:
        return None
    row = await fetch_one(conn, "SELECT telegram_id FROM workers WHERE id = ?", (worker_id,))
    return None if row is None else row["telegram_id"]


async def _load(conn: aiosqlite.Connection, where: str, params: Params) -> list[Report]:
    """Reports matching ``where`` (one of the constants above), with versions and incidents."""
    reports, version_rows, incident_rows = await in_thread(conn, _rows, where, params)
    if not reports:
        return []
    if len(reports) > _OFF_LOOP:
        return await asyncio.to_thread(assemble_reports, reports, version_rows, incident_rows)
    return assemble_reports(reports, version_rows, incident_rows)


_Rows = list[sqlite3.Row]


def _rows(conn: sqlite3.Connection, where: str, params: Params) -> tuple[_Rows, _Rows, _Rows]:
    """:func:`_load`'s three queries, in one trip to the database thread: the reports, their
    versions and their incidents."""
    reports = conn.execute(f"{_REPORTS}{where} ORDER BY r.day, r.grid_id", params).fetchall()
    if not reports:
        return [], [], []
    report_ids = to_json([row["id"] for row in reports])
    version_rows = conn.execute(
        "SELECT v.*, coalesce(w.name, v.supervisor_name) AS created_by_name"
        " FROM report_versions v LEFT JOIN workers w ON w.id = v.created_by"
        " WHERE v.report_id IN (SELECT value FROM json_each(?)) ORDER BY v.report_id, v.version",
        (report_ids,),
    ).fetchall()
    incident_rows = conn.execute(
        "SELECT i.* FROM incidents i JOIN report_versions v ON v.id = i.version_id"
        " WHERE v.report_id IN (SELECT value FROM json_each(?)) ORDER BY i.version_id, i.position",
        (report_ids,),
    ).fetchall()
    return reports, version_rows, incident_rows


def _current_rows(conn: sqlite3.Connection, day: str) -> tuple[list[str], _Rows]:
    """The field keys by position, and :meth:`ReportRepo.current_on`'s rows of ``day``."""
    keys = [row[0] for row in conn.execute("SELECT key FROM ledger_keys ORDER BY position")]
    rows = conn.execute(
        "SELECT r.id, r.grid_id, r.submitted_at, r.late, l.kind, l.incidents, l.answers"
        " FROM reports r JOIN ledger_reports l ON l.report_id = r.id"
        " WHERE r.day = ? ORDER BY r.grid_id",
        (day,),
    ).fetchall()
    return keys, rows


def _current_reports(day: date, keys: list[str], rows: _Rows) -> list[CurrentReport]:
    """Reports of ``day`` from :func:`_current_rows`: every field the copy has a place for
    is in the answers, None where the report has no answer (``values.get`` reads the same
    as from the version's own answers)."""
    return [
        CurrentReport(
            id=report_id,
            grid_id=grid_id,
            day=day,
            submitted_at=from_db_time(submitted_at),
            late=bool(late),
            kind=_KINDS[kind],
            values=dict(zip(keys, from_json(answers), strict=False)),
            incident_count=incidents,
        )
        for report_id, grid_id, submitted_at, late, kind, incidents, answers in rows
    ]


_KINDS = {kind.value: kind for kind in ReportKind}


def _answer_rows(
    conn: sqlite3.Connection, day: str, keys: Sequence[str]
) -> tuple[list[int | None], _Rows]:
    """Each of ``keys``' position in the ledger's copy of the answers (None: no report has
    ever answered it), and :meth:`ReportRepo.days_before`'s rows of ``day``."""
    known = [row[0] for row in conn.execute("SELECT key FROM ledger_keys ORDER BY position")]
    at = {key: position for position, key in enumerate(known)}
    rows = conn.execute(
        "SELECT r.grid_id, r.late, l.kind, l.answers"
        " FROM reports r JOIN ledger_reports l ON l.report_id = r.id WHERE r.day = ?",
        (day,),
    ).fetchall()
    return [at.get(key) for key in keys], rows


def _days_before(positions: list[int | None], rows: _Rows) -> dict[int, DayBefore]:
    """:meth:`ReportRepo.days_before` from :func:`_answer_rows`: the answers at
    ``positions`` (None beyond the end of a report's answers, or without a position)."""
    places = [position for position in positions if position is not None]
    whole = len(places) == len(positions)
    last = max(places, default=-1)
    leading = places == list(range(len(places)))  # the counts come first in the answers
    found = {}
    for grid_id, late, kind, answers in rows:
        values: list[FieldValue] = from_json(answers)
        if leading and len(values) == len(places):
            picked: Sequence[FieldValue] = values
        elif whole and len(values) > last:
            picked = tuple(map(values.__getitem__, places))
        else:
            picked = tuple(_answer_at(values, at) for at in positions)
        found[grid_id] = _day_before((_GRID_DAY_KINDS[late, kind], counts_of(picked)))
    return found


def _answer_at(values: list[FieldValue], position: int | None) -> FieldValue:
    return None if position is None or position >= len(values) else values[position]


_GRID_DAY_KINDS = {
    (late, kind.value): GridDayKind.of_report(bool(late), kind)
    for late in (0, 1)
    for kind in ReportKind
}
"""The grid-day kind of each stored (late, kind)."""
_day_before = partial(tuple.__new__, DayBefore)
"""A :class:`DayBefore` from a tuple of its items (without a Python call per report)."""


def assemble_reports(
    reports: Sequence[sqlite3.Row],
    version_rows: Sequence[sqlite3.Row],
    incident_rows: Sequence[sqlite3.Row],
) -> list[Report]:
    """Reports from their rows (in a worker thread when there are many: thousands of JSON
    answers would otherwise hold the event loop)."""
    incidents: dict[int, list[Incident]] = defaultdict(list)
    for row in incident_rows:
        incidents[row["version_id"]].append(
            Incident(row["category"], row["description"], bool(row["urgent"]))
        )
    versions: dict[int, list[ReportVersion]] = defaultdict(list)
    for row in version_rows:
        versions[row["report_id"]].append(_version(row, incidents[row["id"]]))
    return [_report(row, versions[row["id"]]) for row in reports]


def _version(row: aiosqlite.Row, incidents: list[Incident]) -> ReportVersion:
    return ReportVersion(
        version=row["version"],
        kind=ReportKind(row["kind"]),
        values=from_json(row["answers"]),
        incidents=tuple(incidents),
        baseline=from_json(row["baseline"]),
        created_at=from_db_time(row["created_at"]),
        created_by=row["created_by"],
        created_by_name=row["created_by_name"],
        reason=row["reason"],
        form_version=row["form_version"],
    )


def _report(row: aiosqlite.Row, versions: list[ReportVersion]) -> Report:
    return Report(
        id=row["id"],
        grid_id=row["grid_id"],
        day=from_db_day(row["day"]),
        submitted_at=from_db_time(row["submitted_at"]),
        submitted_by=row["submitted_by"],
        submitted_by_name=row["submitted_by_name"],
        late=bool(row["late"]),
        versions=tuple(versions),
    )
