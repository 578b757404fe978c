"""A generated district for the benchmarks (``bench/world.py``) and the scale tests: a
four-level tree (a district, 5 streets, 50 communities, the grids), a supervisors' group bound
to every area, and days of history as a district has them (reports, excusals, incidents with
their alerts, the day's prompts and nags in the send log), written by SQLite itself, so that
a year of 10,000 grids takes minutes, not the hours that filing it through the bot would.

Every row has the shape the running bot gives it (see each part below). The reports are
written behind the repositories' backs: the running figures are left as they were (rebuild
them with :meth:`storage.figures.FigureRepo.rebuild` when they are needed); the ledger's copy
(migration 0008) is kept by its triggers as the rows go in.

The day follows the default settings in Asia/Shanghai (UTC+8, no summer time): the prompt at
08:00, reminders at 15:00 and 16:30, the deadline (and the late nag) at 17:00, the escalation
at 18:00, the digest at 20:00 (:data:`WORKER_SENDS`, :data:`GROUP_SENDS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.dates import DayRange
from bot.domain.form import IncidentCategory
from bot.domain.models import RosterRow
from storage.codec import to_db_time
from storage.rows import fetch_one

if TYPE_CHECKING:
    import aiosqlite

    from storage.db import Database

STREETS, COMMUNITIES = 5, 50
WORKER_IDS = 800_000_000
"""Worker n of the roster has Telegram id WORKER_IDS + n."""
GROUP_IDS = -1_009_000_000_000
"""The supervisors' group of area ``a`` is chat GROUP_IDS - a."""
SUPERVISOR_IDS = 700_000_000
"""The supervisor on duty in area ``a``'s group has Telegram id SUPERVISOR_IDS + a."""
WORKER_SENDS = (
    ("prompt", 8 * 60),
    ("remind_1", 15 * 60),
    ("remind_2", 16 * 60 + 30),
    ("late_nag", 17 * 60),
)
"""Send-log kind and local minute of the day of the sends to the workers of a grid still
missing then (neither reported nor excused), as the scheduler records them."""
GROUP_SENDS = (("escalate", 18 * 60), ("digest", 20 * 60), ("digest_chart", 20 * 60))
"""The same, of the sends to every bound group (the last day's digest is not made yet)."""
UTC_OFFSET = 8 * 60
"""Asia/Shanghai's offset from UTC, in minutes."""
REASONS = ("病假", "事假", "参加街道培训", "调休", "封控区值守")
"""Why grids are excused."""
DESCRIPTIONS = {
    "fever": "林某某发热37.8℃，已陪同前往发热门诊",
    "suspected": "张某某抗原自测阳性，已上报并闭环转运",
    "refuse_iso": "王某某拒不配合居家隔离，已劝导并报告社区",
    "leave_iso": "李某某擅自离开居家隔离点，已找回",
    "gathering": "一户聚餐约12人，已劝散",
    "risk_arrival": "陈某某自中风险地区返回，已登记并告知报备",
    "rumour": "业主群转发不实消息，已辟谣",
    "equipment": "小区门口喇叭线被剪断，已报修",
    "supply": "口罩、消毒液库存不足，请求调配",
}
"""A short description of an incident of each of the default form's categories."""
OTHER_DESCRIPTION = "发现异常情况，已现场处置"
_SLOTS = 20
"""Incidents draw their category from this many slots, two of them urgent: a tenth."""
_STAMP = "'%Y-%m-%dT%H:%M:%S+00:00'"
"""A moment as stored (:func:`storage.codec.to_db_time`, whole seconds)."""


def roster_rows(grids: int, *, bound: bool = True) -> list[RosterRow]:
    """One worker per grid; with ``bound`` each has a Telegram id (so the bot can reach them)."""
    return [
        RosterRow(
            n + 2,
            f"区/街道{n % STREETS}/社区{n % COMMUNITIES}",
            f"G-{n:05d}",
            f"第{n % 20}网格",  # names repeat across communities, as in a real district
            f"网格员{n}",
            None,
            WORKER_IDS + n if bound else None,
            300,
            900,
        )
        for n in range(grids)
    ]


async def populate(
    db: Database,
    grids: int,
    days: DayRange,
    answers: Mapping[str, int],
    joined: datetime,
    categories: Sequence[IncidentCategory],
) -> int:
    """The roster and a supervisors' group bound to every area (as of ``joined``), and for
    every one of ``days``:

    - a report of every grid, except every tenth grid-day: filed at 15:00 plus up to 149
      minutes (so a fifth late), a seventh of the grids with zero reports, the others with
      ``answers`` (and a baseline of 5 in home isolation on the first day), every twentieth
      report corrected once an hour later (12 screened);
    - a quarter of the grid-days without a report excused (2.5% of all), and one grid-day
      in 200 whatever it has (most have a report, which beats the excuse): by the
      community's supervisor between 07:00 and 11:59;
    - one detailed report in 50 with incidents, half of those with two, in every version of
      the report (a correction keeps them), their categories drawn from ``categories``, a
      tenth of them from the urgent ones (two slots in 20);
    - an alert for each urgent incident of a first version (:meth:`AlertRepo.raise_new`),
      posted to the community's group and acknowledged by its supervisor 3 to 27 minutes
      later; a quarter of them only after 30 minutes, when they have been passed up to the
      street's group, whose supervisor acknowledges them 5 to 24 minutes later;
    - in the send log (all sent at the first attempt): the prompt, both reminders and the
      late nag to the worker of every grid still missing then (neither reported nor excused
      yet); the confirmation of every filing and correction to its worker; each alert's
      posts; the escalation to every group, and the digest and its chart on every day but
      the last.

    Returns the reports filed."""
    await db.roster.apply(roster_rows(grids), actor=None, at=joined)
    for area in await db.roster.areas():
        await db.groups.bind(
            GROUP_IDS - area.id, area_id=area.id, title=f"{area.name}指挥部", actor=None, at=joined
        )
    params = {
        "first": days.first.isoformat(),
        "last": len(days) - 1,
        "answers": json.dumps(dict(answers)),
    }
    async with db.transaction() as conn:
        await _reports(conn, params)
        await _excusals(conn, params)
        await _incidents(conn, categories)
        await _alerts(conn)
        await _confirmations(conn)
        for day in days.days():
            await _sends(conn, day, last=day == days.last)
        row = await fetch_one(conn, "SELECT count(*) AS filed FROM reports")
    return int(row["filed"]) if row else 0


_DAYS = (
    "WITH RECURSIVE offsets(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM offsets WHERE n < :last)"
)


async def _reports(conn: aiosqlite.Connection, params: Mapping[str, object]) -> None:
    """The reports and their versions (see :func:`populate`)."""
    await conn.execute(
        "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
        f" {_DAYS}"
        " SELECT w.grid_id, date(:first, '+' || o.n || ' days'),"
        f"  strftime({_STAMP}, :first, '+' || o.n || ' days',"
        "   '+7 hours', '+' || (w.grid_id % 150) || ' minutes'),"  # 15:00 Shanghai
        "  w.id, w.grid_id % 150 >= 120"
        " FROM offsets o CROSS JOIN workers w WHERE (w.grid_id + o.n) % 10 <> 0"
        " ORDER BY o.n, w.grid_id",
        params,
    )
    await conn.execute(
        "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
        " created_at, created_by)"
        " SELECT id, 1, CASE WHEN grid_id % 7 = 0 THEN 'zero' ELSE 'detailed' END,"
        " CASE WHEN grid_id % 7 = 0 THEN '{}' ELSE :answers END,"
        " CASE WHEN day = :first THEN '{\"home_isolation\": 5}' ELSE '{}' END,"
        " submitted_at, submitted_by FROM reports",
        params,
    )
    await conn.execute(
        "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
        " created_at, created_by, reason)"
        " SELECT id, 2, 'detailed', json_set(:answers, '$.screened', 12), '{}',"
        f" strftime({_STAMP}, submitted_at, '+1 hours'), submitted_by,"
        " '漏报2人' FROM reports WHERE id % 20 = 0",
        params,
    )


async def _excusals(conn: aiosqlite.Connection, params: Mapping[str, object]) -> None:
    """The excusals (see :func:`populate`), as :meth:`ScheduleRepo.excuse` writes them."""
    await conn.execute(
        "INSERT INTO excusals (grid_id, day, reason, excused_by, excused_at)"
        f" {_DAYS}"
        " SELECT g.id, date(:first, '+' || o.n || ' days'),"
        "  :reasons ->> ((g.id + o.n / 10) % json_array_length(:reasons)),"
        f"  {SUPERVISOR_IDS} + g.area_id,"
        f"  strftime({_STAMP}, :first, '+' || o.n || ' days', '-1 hours',"
        "   '+' || ((g.id * 7 + o.n) % 300) || ' minutes')"  # 07:00-11:59 Shanghai
        " FROM offsets o CROSS JOIN grids g"
        " WHERE ((g.id + o.n) % 10 = 0 AND (g.id / 10 + o.n / 10) % 4 = 0)"
        "  OR (g.id * 3 + o.n) % 200 = 7"
        " ORDER BY o.n, g.id",
        {**params, "reasons": json.dumps(REASONS, ensure_ascii=False)},
    )


def incident_slots(categories: Sequence[IncidentCategory]) -> list[tuple[str, str, int]]:
    """The :data:`_SLOTS` (category, description, urgent) an incident is drawn from: two
    urgent ones, the others not (all of one kind if ``categories`` has no other)."""
    urgent = [item for item in categories if item.urgent] or list(categories)
    other = [item for item in categories if not item.urgent] or list(categories)
    chosen = [urgent[n % len(urgent)] for n in range(2)]
    chosen += [other[n % len(other)] for n in range(_SLOTS - 2)]
    return [
        (item.key, DESCRIPTIONS.get(item.key, OTHER_DESCRIPTION), int(item.urgent))
        for item in chosen
    ]


async def _incidents(conn: aiosqlite.Connection, categories: Sequence[IncidentCategory]) -> None:
    """The incidents (see :func:`populate`), in every version of their report, as
    :meth:`ReportRepo.file` and :meth:`ReportRepo.correct` write them (the draft marks an
    incident of an urgent category urgent)."""
    if not categories:
        return
    await conn.execute(
        "INSERT INTO incidents (version_id, position, category, description, urgent,"
        " created_at)"
        " SELECT v.id, p.n, s.value ->> 0, (r.id % 17 + 1) || '号楼' || (r.id % 3 + 1)"
        "  || '单元，' || (s.value ->> 1), s.value ->> 2, v.created_at"
        " FROM reports r JOIN report_versions v ON v.report_id = r.id"
        " JOIN (SELECT 1 AS n UNION ALL SELECT 2) p"
        " JOIN json_each(:slots) s ON s.key = (r.id / 100 + p.n * 7) % :count"
        " WHERE r.grid_id % 7 <> 0 AND (r.grid_id * 13 + r.id) % 100 IN (3, 53)"
        "  AND (p.n = 1 OR (r.grid_id * 13 + r.id) % 100 = 53)"
        " ORDER BY v.id, p.n",
        {"slots": json.dumps(incident_slots(categories), ensure_ascii=False), "count": _SLOTS},
    )


_ACK_WINDOW = 30
"""Minutes an alert waits for an acknowledgement before it is passed up (the default
``alert_ack_minutes``)."""


async def _alerts(conn: aiosqlite.Connection) -> None:
    """The alerts of the urgent incidents (see :func:`populate`): the rows
    :meth:`AlertRepo.raise_new`, :meth:`AlertRepo.add_post` and :meth:`AlertRepo.acknowledge`
    write, and each post's send-log row (kind ``alert:<id>``, as the alert desk's courier
    records it)."""
    await conn.execute(
        "INSERT INTO alerts (incident_id, grid_id, day, raised_at)"
        " SELECT i.id, r.grid_id, r.day, v.created_at FROM incidents i"
        " JOIN report_versions v ON v.id = i.version_id JOIN reports r ON r.id = v.report_id"
        " WHERE i.urgent AND v.version = 1 ORDER BY i.id"
    )
    posts = (
        # the community's group at once, the street's after the window when not acknowledged
        " SELECT al.id AS alert_id, c.chat_id, 2 * al.id AS message_id, 0 AS level,"
        f"  strftime({_STAMP}, al.raised_at, '+2 seconds') AS posted_at, al.grid_id, al.day"
        " FROM alerts al JOIN grids g ON g.id = al.grid_id"
        " JOIN group_chats c ON c.area_id = g.area_id"
        " UNION ALL"
        " SELECT al.id, c.chat_id, 2 * al.id + 1, 1,"
        f"  strftime({_STAMP}, al.raised_at, '+{_ACK_WINDOW} minutes', '+5 seconds'),"
        "  al.grid_id, al.day"
        " FROM alerts al JOIN grids g ON g.id = al.grid_id JOIN areas a ON a.id = g.area_id"
        " JOIN group_chats c ON c.area_id = a.parent_id WHERE al.id % 4 = 0"
    )
    await conn.execute(
        "INSERT INTO alert_posts (alert_id, chat_id, message_id, level, posted_at)"
        f" SELECT alert_id, chat_id, message_id, level, posted_at FROM ({posts})"
        " ORDER BY posted_at, alert_id"
    )
    await conn.execute(
        "INSERT INTO sends (kind, day, target, grid_id, status, planned_at, sent_at, attempts)"
        " SELECT 'alert:' || p.alert_id, al.day, p.chat_id, al.grid_id, 'sent',"
        "  p.posted_at, p.posted_at, 1"
        " FROM alert_posts p JOIN alerts al ON al.id = p.alert_id ORDER BY p.posted_at, p.id"
    )
    await conn.execute(
        "UPDATE alerts SET (acknowledged_by, acknowledged_by_name, acknowledged_at) = ("
        f" SELECT {SUPERVISOR_IDS} + c.area_id, '值班员' || c.area_id,"
        "  strftime("
        f"{_STAMP}, p.posted_at, '+' || (CASE p.level WHEN 0 THEN 3 + alerts.id % 25"
        "   ELSE 5 + alerts.id % 20 END) || ' minutes')"
        " FROM alert_posts p JOIN group_chats c ON c.chat_id = p.chat_id"
        " WHERE p.alert_id = alerts.id ORDER BY p.level DESC LIMIT 1)"
    )


async def _confirmations(conn: aiosqlite.Connection) -> None:
    """The confirmation of every version to the worker who made it, as the filing and the
    correction owe them (kind ``confirm:<report>:<version>``, claimed when the version is
    stored, sent a second later)."""
    await conn.execute(
        "INSERT INTO sends (kind, day, target, grid_id, status, planned_at, sent_at, attempts)"
        " SELECT 'confirm:' || r.id || ':' || v.version, r.day, w.telegram_id, r.grid_id,"
        f"  'sent', v.created_at, strftime({_STAMP}, v.created_at, '+1 seconds'), 1"
        " FROM report_versions v JOIN reports r ON r.id = v.report_id"
        " JOIN workers w ON w.id = v.created_by WHERE w.telegram_id IS NOT NULL"
        " ORDER BY v.created_at, v.id"
    )


def _moments(day: date, sends: Sequence[tuple[str, int]]) -> str:
    """``sends`` (kind, local minute of the day) of ``day`` as a JSON list of (kind, moment
    as stored)."""
    start = datetime(day.year, day.month, day.day) - timedelta(minutes=UTC_OFFSET)
    return json.dumps(
        [
            (kind, f"{(start + timedelta(minutes=minute)).isoformat()}+00:00")
            for kind, minute in sends
        ]
    )


async def _sends(conn: aiosqlite.Connection, day: date, *, last: bool) -> None:
    """``day``'s scheduled sends (see :func:`populate`), as the courier records them: claimed
    as planned at the plan's moment, then sent (a fan-out sends about 29 a second)."""
    await conn.execute(
        "WITH due AS MATERIALIZED (SELECT w.grid_id, w.telegram_id,"
        "  coalesce(r.submitted_at, '9') AS filed, coalesce(e.excused_at, '9') AS excused"
        "  FROM workers w LEFT JOIN reports r ON r.grid_id = w.grid_id AND r.day = :day"
        "  LEFT JOIN excusals e ON e.grid_id = w.grid_id AND e.day = :day"
        "  WHERE w.active AND w.telegram_id IS NOT NULL)"
        " INSERT INTO sends (kind, day, target, grid_id, status, planned_at, sent_at, attempts)"
        " SELECT k.value ->> 0, :day, d.telegram_id, d.grid_id, 'sent', k.value ->> 1,"
        f"  strftime({_STAMP}, k.value ->> 1, '+' || (d.grid_id / 29) || ' seconds'), 1"
        " FROM json_each(:moments) k JOIN due d"
        " ON d.filed > k.value ->> 1 AND d.excused > k.value ->> 1"
        " ORDER BY k.key, d.grid_id",
        {"day": day.isoformat(), "moments": _moments(day, WORKER_SENDS)},
    )
    await conn.execute(
        "INSERT INTO sends (kind, day, target, grid_id, status, planned_at, sent_at, attempts)"
        " SELECT k.value ->> 0, :day, c.chat_id, NULL, 'sent', k.value ->> 1,"
        f"  strftime({_STAMP}, k.value ->> 1, '+' || (c.area_id % 60) || ' seconds'), 1"
        " FROM json_each(:moments) k CROSS JOIN group_chats c ORDER BY k.key, c.chat_id",
        {
            "day": day.isoformat(),
            "moments": _moments(day, GROUP_SENDS[:1] if last else GROUP_SENDS),
        },
    )


async def file_zero_reports(db: Database, grid_codes: list[str], day: date, at: datetime) -> None:
    """Zero reports of ``day`` for these grids, filed ``at``."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
            " SELECT w.grid_id, :day, :at, w.id, 0 FROM workers w JOIN grids g ON g.id = w.grid_id"
            " WHERE g.code IN (SELECT value FROM json_each(:codes))",
            {
                "day": day.isoformat(),
                "at": to_db_time(at),
                "codes": json.dumps(grid_codes),
            },
        )
        await conn.execute(
            "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
            " created_at, created_by) SELECT id, 1, 'zero', '{}', '{}', submitted_at,"
            " submitted_by FROM reports WHERE day = :day",
            {"day": day.isoformat()},
        )
