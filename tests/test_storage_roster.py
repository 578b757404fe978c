"""Applying rosters, looking the roster up, and binding Telegram accounts to workers."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from storage_fixtures import AT, audit_entries, open_db, rows_of, sample_csv, sample_db

from bot.domain.models import BindVia, ReportKind, RosterChanges, Worker
from bot.domain.roster import parse_roster
from storage.audit import AuditAction
from storage.db import Database
from storage.roster import InviteOutcome, InviteStatus

LATER = AT + timedelta(days=1)


async def worker_named(db: Database, name: str) -> Worker:
    for _, workers in await db.roster.roster_overview():
        for worker in workers:
            if worker.name == name:
                return worker
    raise AssertionError(f"no active worker {name}")


async def updated_stamps(db: Database) -> list[tuple[str, ...]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT 'g', id, updated_at FROM grids"
            " UNION ALL SELECT 'w', id, updated_at FROM workers ORDER BY 1, 2"
        ) as cursor,
    ):
        return [tuple(row) for row in await cursor.fetchall()]


async def test_sample_import_builds_the_tree(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    async with db:
        changes = await db.roster.apply(rows_of(sample_csv()), actor=None, at=AT)
        assert changes == RosterChanges(
            areas_added=3, grids_added=10, workers_added=22, workers_bound=9
        )
        street, dongguan, qianjin = await db.roster.areas()
        assert (street.path, street.parent_id) == ("学院南路街道", None)
        assert (dongguan.name, dongguan.parent_id) == ("东关社区", street.id)
        assert qianjin.path == "学院南路街道/前进社区"
        assert len(await db.roster.grids()) == 10
        assert len(await db.roster.grids(area_path="学院南路街道")) == 10
        qj = await db.roster.grids(area_path=" 学院南路街道 ／ 前进社区")
        assert [grid.code for grid in qj] == ["QJ-01", "QJ-02", "QJ-03", "QJ-04", "QJ-05", "QJ-06"]
        assert await db.roster.grids(area_path="学院南路") == []
        grid = await db.roster.grid_by_code("qj-01")
        assert grid is not None and (grid.households, grid.population) == (445, 1276)
        assert grid.area_path == "学院南路街道/前进社区"
        workers = await db.roster.workers_of_grid(grid.id)
        assert [(w.name, w.telegram_id, w.bound_via) for w in workers] == [
            ("王娜", 710000001, BindVia.ROSTER_ID),
            ("王超", 710000002, BindVia.ROSTER_ID),
            ("朱娜", None, None),
        ]
        found = await db.roster.worker_by_telegram_id(710000001)
        assert found == workers[0] == await db.roster.worker(workers[0].id)
        overview = await db.roster.roster_overview()
        assert sum(len(workers) for _, workers in overview) == 22
        assert [entry.action for entry in await audit_entries(db)] == ["roster.import"]


async def test_reimporting_the_same_file_changes_nothing(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        before = await updated_stamps(db)
        changes = await db.roster.apply(rows_of(sample_csv()), actor=None, at=LATER)
        assert changes == RosterChanges() and changes.unchanged
        assert await updated_stamps(db) == before
        assert len(await audit_entries(db)) == 1


async def test_an_edited_roster_updates_adds_and_deactivates(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        removed = await worker_named(db, "黄刚")  # QJ-02's only worker: the grid goes too
        grid_id = removed.grid_id
        await db.reports.file(
            grid_id=grid_id,
            day=date(2024, 5, 1),
            kind=ReportKind.ZERO,
            values={},
            incidents=[],
            baseline={},
            worker_id=removed.id,
            at=AT,
            late=False,
        )
        edited = (
            sample_csv()
            .replace("王秀静,grid_qj03_1", "王秀清,grid_qj03_1")  # renamed, same username
            .replace("孙敏,grid_qj04_1,,", "孙敏,grid_qj04_1,710000099,")  # bound by the file
            .replace("学院南路街道/前进社区,QJ-02,第二网格,黄刚,grid_qj02_1,,310,866\n", "")
            + "学院南路街道/东关社区,DG-05,第五网格,新人,grid_dg05_1,,100,300\n"
        )
        changes = await db.roster.apply(rows_of(edited), actor=900, at=LATER)
        assert changes == RosterChanges(
            grids_added=1,
            grids_deactivated=1,
            workers_added=1,
            workers_updated=2,
            workers_deactivated=1,
            workers_bound=1,
        )
        renamed = await worker_named(db, "王秀清")
        assert renamed.telegram_id == 710000005  # same row, binding kept
        bound = await worker_named(db, "孙敏")
        assert (bound.telegram_id, bound.bound_via) == (710000099, BindVia.ROSTER_ID)
        gone = await db.roster.worker(removed.id)
        assert gone is not None and not gone.active
        assert await db.roster.worker_by_telegram_id(710000005) == renamed
        grid = await db.roster.grid(grid_id)
        assert grid is not None and not grid.active
        assert grid not in await db.roster.grids()
        assert grid in await db.roster.grids(include_inactive=True)
        assert await db.roster.workers_of_grid(grid_id) == []
        assert await db.roster.workers_of_grid(grid_id, active_only=False) == [gone]
        qj03 = renamed.grid_id
        many = await db.roster.active_workers_of([grid_id, qj03, 999_999])
        assert many == {qj03: await db.roster.workers_of_grid(qj03)}  # the removed one left out
        report = await db.reports.get(grid_id, date(2024, 5, 1))
        assert report is not None and report.submitted_by_name == "黄刚"
        (entry,) = await audit_entries(db, action=AuditAction.ROSTER_IMPORT, actor=900)
        assert entry.details["workers_deactivated"] == 1


async def test_a_removed_worker_comes_back_by_telegram_id(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        wang = await worker_named(db, "王娜")
        without = sample_csv().replace(
            "学院南路街道/前进社区,QJ-01,第一网格,王娜,grid_qj01_1,710000001,445,1276\n", ""
        )
        await db.roster.apply(rows_of(without), actor=None, at=LATER)
        assert await db.roster.worker_by_telegram_id(710000001) is None
        changes = await db.roster.apply(rows_of(sample_csv()), actor=None, at=LATER)
        assert changes == RosterChanges(workers_added=1)
        assert await db.roster.worker_by_telegram_id(710000001) == wang


async def test_usernames_can_move_between_workers(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        # 王娜 (matched by id) gives her username to 朱娜 (matched by name).
        edited = (
            sample_csv()
            .replace("王娜,grid_qj01_1,710000001", "王娜,wang_na_new,710000001")
            .replace("朱娜,grid_qj01_3,", "朱娜,grid_qj01_1,")
        )
        changes = await db.roster.apply(rows_of(edited), actor=None, at=LATER)
        assert changes == RosterChanges(workers_updated=2)
        zhu = await worker_named(db, "朱娜")
        assert zhu.username == "grid_qj01_1"


async def test_xlsx_import_end_to_end(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header, *lines = sample_csv().splitlines()
    sheet.append(header.split(","))
    for line in lines:  # numbers as Excel keeps them: floats
        sheet.append(
            [float(cell) if cell.isdigit() else (cell or None) for cell in line.split(",")]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_roster("名单.xlsx", buffer.getvalue())
    assert parsed.errors == []
    async with await sample_db(tmp_path) as db:
        assert (await db.roster.apply(parsed.rows, actor=None, at=LATER)).unchanged


async def test_binding_by_username(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        worker = await db.roster.bind_by_username("@GRID_QJ01_3", 42, at=AT)
        assert worker is not None and worker.name == "朱娜"
        assert (worker.telegram_id, worker.bound_via) == (42, BindVia.USERNAME)
        assert await db.roster.bind_by_username("grid_qj01_3", 42, at=LATER) == worker
        assert await db.roster.bind_by_username("grid_qj01_3", 43, at=AT) is None  # taken
        assert await db.roster.bind_by_username("grid_qj02_1", 42, at=AT) is None  # 42 is bound
        assert await db.roster.bind_by_username("nobody_here", 44, at=AT) is None
        assert await db.roster.worker_by_telegram_id(42) == worker
        binds = await audit_entries(db, action=AuditAction.WORKER_BIND)
        assert [(e.actor, e.details["via"]) for e in binds] == [(42, "username")]


async def test_invites(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        grid = await db.roster.grid_by_code("QJ-01")
        assert grid is not None
        token = await db.roster.invite_token(grid.id, actor=1, at=AT)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
        assert await db.roster.invite_token(grid.id, actor=1, at=AT) == token

        joined = await db.roster.bind_via_invite(
            token, telegram_id=50, display_name="朱娜", username="Grid_QJ01_3", at=AT
        )
        assert joined.status == InviteStatus.BOUND and joined.grid == grid
        assert joined.worker is not None and joined.worker.name == "朱娜"  # the roster row
        assert joined.worker.bound_via == BindVia.INVITE

        newcomer = await db.roster.bind_via_invite(
            token, telegram_id=51, display_name=" 楼栋长老李 ", username=None, at=AT
        )
        assert newcomer.status == InviteStatus.BOUND and newcomer.worker is not None
        assert (newcomer.worker.name, newcomer.worker.grid_id) == ("楼栋长老李", grid.id)
        assert len(await db.roster.workers_of_grid(grid.id)) == 4

        again = await db.roster.bind_via_invite(
            "whatever", telegram_id=51, display_name="x", username=None, at=AT
        )
        assert (again.status, again.worker, again.grid) == (
            InviteStatus.ALREADY_BOUND,
            newcomer.worker,
            grid,
        )

        rotated = await db.roster.invite_token(grid.id, rotate=True, actor=1, at=AT)
        assert rotated != token
        stale = await db.roster.bind_via_invite(
            token, telegram_id=52, display_name="x", username=None, at=AT
        )
        assert stale == InviteOutcome(InviteStatus.INVALID)
        assert await db.roster.revoke_invites(grid.id, actor=1, at=AT) == 1
        assert await db.roster.revoke_invites(grid.id, actor=1, at=AT) == 0
        revoked = await db.roster.bind_via_invite(
            rotated, telegram_id=52, display_name="x", username=None, at=AT
        )
        assert revoked.status == InviteStatus.INVALID
        actions = [e.action for e in await audit_entries(db) if e.action.startswith("invite")]
        assert actions == ["invite.create", "invite.revoke", "invite.create", "invite.revoke"]

        # Invitees are not on the roster file: a re-import keeps them.
        assert (await db.roster.apply(rows_of(sample_csv()), actor=None, at=LATER)).unchanged
        assert await db.roster.worker_by_telegram_id(51) == newcomer.worker


async def test_an_invitee_username_taken_by_the_roster_is_not_kept(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        qj02 = await db.roster.grid_by_code("QJ-02")
        assert qj02 is not None
        token = await db.roster.invite_token(qj02.id, actor=1, at=AT)
        outcome = await db.roster.bind_via_invite(
            token, telegram_id=60, display_name="李四", username="grid_qj01_3", at=AT
        )
        assert outcome.worker is not None and outcome.worker.username is None


async def test_a_reimport_deactivates_invitees_of_removed_grids_and_takes_usernames(
    tmp_path: Path,
) -> None:
    async with await sample_db(tmp_path) as db:
        tokens = {}
        for code in ("QJ-02", "DG-02"):
            grid = await db.roster.grid_by_code(code)
            assert grid is not None
            tokens[code] = await db.roster.invite_token(grid.id, actor=1, at=AT)
        kept = await db.roster.bind_via_invite(
            tokens["QJ-02"], telegram_id=61, display_name="李四", username="li_si_61", at=AT
        )
        dropped = await db.roster.bind_via_invite(
            tokens["DG-02"], telegram_id=62, display_name="赵五", username=None, at=AT
        )
        assert kept.worker is not None and dropped.worker is not None
        edited = (
            sample_csv()
            .replace("王娜,grid_qj01_1,710000001", "王娜,li_si_61,710000001")
            .replace(
                "学院南路街道/东关社区,DG-02,第二网格,林芳强,grid_dg02_1,710000017,461,1106\n", ""
            )
        )
        changes = await db.roster.apply(rows_of(edited), actor=None, at=LATER)
        assert changes == RosterChanges(
            grids_deactivated=1, workers_updated=2, workers_deactivated=2
        )
        li_si = await db.roster.worker_by_telegram_id(61)
        assert li_si is not None and li_si.username is None  # the file gave it to 王娜
        assert (await worker_named(db, "王娜")).username == "li_si_61"
        assert await db.roster.worker_by_telegram_id(62) is None
