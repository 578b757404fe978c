"""Worker corrections and the admin's use cases at the service layer: the correction window,
roster import and listing, invite links, adding and removing workers, registering through an
invite, binding a group, granting admin rights, exporting and backing up."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from service_fixtures import ADMIN_ID, DAY, WORKER_ID, grid, worker
from storage_fixtures import rows_of, sample_csv

from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.ledger_tables import Sheet
from bot.domain.models import ReportKind
from bot.domain.roster_listing import roster_lines
from bot.domain.stocks import zero_values
from bot.ledger_file import LedgerRequest
from bot.usecases import admins, correcting, filing, groups, roster
from bot.usecases.errors import ChangedMeanwhile, RulesRejected, UseCaseError
from bot.usecases.export import backup_database, export_ledger


async def zero_of_qj01(deps: Dependencies, day: date) -> int:
    """File QJ-01's zero report of ``day``; its report id."""
    filed = await filing.file_zero_report(
        deps,
        worker_id=(await worker(deps)).id,
        grid_id=(await grid(deps, "QJ-01")).id,
        day=day,
    )
    return filed.report.id


async def test_a_worker_corrects_within_the_window_with_a_reason(deps: Dependencies) -> None:
    qj01 = await grid(deps, "QJ-01")
    old = DAY - timedelta(days=deps.settings.correction_days + 1)
    await zero_of_qj01(deps, old)
    report_id = await zero_of_qj01(deps, DAY)
    with pytest.raises(UseCaseError) as refused:
        await correcting.correctable_reports(deps, qj01.id, old)
    assert refused.value.key == "checkin.correct_out_of_window"
    assert [r.day for r in await correcting.correctable_reports(deps, qj01.id)] == [DAY]
    values = {**zero_values(deps.form), "screened": 12}
    change = {
        "worker_id": (await worker(deps)).id,
        "report_id": report_id,
        "kind": ReportKind.DETAILED,
        "values": values,
        "incidents": (),
        "baseline": {},
        "expected_version": 1,
    }
    with pytest.raises(UseCaseError) as short:
        await correcting.correct_report(deps, reason="x", **change)  # type: ignore[arg-type]
    assert short.value.key == "checkin.reason_length"
    report = await correcting.correct_report(deps, reason="漏报", **change)  # type: ignore[arg-type]
    assert [v.version for v in report.versions] == [1, 2]
    assert report.current.values["screened"] == 12 and report.current.reason == "漏报"
    assert report.versions[0].kind == ReportKind.ZERO
    with pytest.raises(ChangedMeanwhile) as stale:  # made from version 1, which is old now
        await correcting.correct_report(deps, reason="再改", **change)  # type: ignore[arg-type]
    assert stale.value.report.current.version == 2


async def test_a_correction_breaking_a_hard_rule_is_refused_and_nothing_is_written(
    deps: Dependencies,
) -> None:
    """The hard rules hold on every path that stores a version, not only in the chat."""
    report_id = await zero_of_qj01(deps, DAY)
    values = {**zero_values(deps.form), "arrivals": 1, "arrivals_risk": 2}
    with pytest.raises(RulesRejected) as refused:
        await correcting.correct_report(
            deps,
            worker_id=(await worker(deps)).id,
            report_id=report_id,
            kind=ReportKind.DETAILED,
            values=values,
            incidents=(),
            baseline={},
            reason="漏报",
            expected_version=1,
        )
    assert [item.rule_id for item in refused.value.violations] == ["arrivals_risk_within_arrivals"]
    stored = await filing.report_of(deps, (await grid(deps, "QJ-01")).id, DAY)
    assert stored is not None and [v.version for v in stored.versions] == [1]
    assert stored.current.kind == ReportKind.ZERO


async def test_nothing_to_correct_says_so(deps: Dependencies) -> None:
    with pytest.raises(UseCaseError) as refused:
        await correcting.correctable_reports(deps, (await grid(deps, "QJ-01")).id)
    assert refused.value.key == "checkin.nothing_to_correct"


async def test_import_listing_and_a_second_identical_import(deps: Dependencies) -> None:
    again = await roster.import_roster(deps, rows_of(sample_csv()), actor=ADMIN_ID)
    assert again.unchanged
    preview = await roster.preview_import(deps, rows_of(sample_csv())[:3])
    assert preview.grids_deactivated == 9 and len(await deps.db.roster.grids()) == 10
    listing = await roster.roster_listing(deps, await roster.area_named(deps, "前进社区"))
    assert [g.code for g, _ in listing.grids] == [f"QJ-0{n}" for n in range(1, 7)]
    text = "\n".join(line.text for line in roster_lines("zh_CN", listing.grids, listing.invites))
    assert "学院南路街道/前进社区" in text and "王娜" in text and "东关社区" not in text


async def test_an_invite_binds_whoever_opens_it_until_it_is_revoked(deps: Dependencies) -> None:
    made = await roster.invite(deps, "QJ-02", actor=ADMIN_ID)
    assert made.link is None  # the bot's @username is not known before it runs
    await deps.db.meta.set(roster.BOT_USERNAME_KEY, "grid_bot")
    again = await roster.invite(deps, "QJ-02", actor=ADMIN_ID)
    assert again.token == made.token and again.link == f"https://t.me/grid_bot?start={made.token}"
    joined = await roster.register(
        deps, 555, invite_token=made.token, display_name="新同事", username=None, language="en"
    )
    assert joined is not None and joined.grid_id == made.grid.id
    grid_, count = await roster.revoke_invites(deps, "QJ-02", actor=ADMIN_ID)
    assert grid_.code == "QJ-02" and count == 1
    with pytest.raises(UseCaseError) as refused:
        await roster.register(
            deps, 556, invite_token=made.token, display_name="X", username=None, language=None
        )
    assert refused.value.key == "onboarding.invite_invalid"
    with pytest.raises(roster.UnknownGrid):
        await roster.invite(deps, "NOPE-1", actor=ADMIN_ID)


async def test_register_by_roster_username(deps: Dependencies) -> None:
    unbound = await roster.register(
        deps,
        720_000_004,
        invite_token=None,
        display_name="黄刚",
        username="grid_qj02_1",
        language=None,
    )
    assert unbound is not None and unbound.name == "黄刚" and unbound.telegram_id == 720_000_004
    stranger = await roster.register(
        deps, 999, invite_token=None, display_name="X", username="nobody", language=None
    )
    assert stranger is None


async def test_add_and_remove_a_worker(deps: Dependencies) -> None:
    added = await roster.add_worker(deps, "QJ-02", username="new_one", name="新人", actor=ADMIN_ID)
    assert added.created and added.grid.code == "QJ-02"
    taken = await roster.add_worker(deps, "QJ-04", username="new_one", name="重名", actor=ADMIN_ID)
    assert not taken.created and taken.worker.name == "新人" and taken.grid.code == "QJ-02"
    left = await roster.remove_worker(deps, added.worker, actor=ADMIN_ID)
    assert [w.name for w in left] == ["黄刚"]
    assert await roster.worker_by_username(deps, "new_one") is None


async def test_binding_a_group_and_its_refusals(deps: Dependencies) -> None:
    area = await groups.bind_group(
        deps, -100, area_path="学院南路街道/前进社区", title="群", language="en", actor=ADMIN_ID
    )
    assert await deps.db.groups.area_of_chat(-100) == area
    assert await deps.db.groups.language(-100) == "en"
    with pytest.raises(UseCaseError) as unknown:
        await groups.bind_group(
            deps, -100, area_path="火星", title="群", language=None, actor=ADMIN_ID
        )
    assert unknown.value.key == "group.unknown_area"
    assert "• 学院南路街道/前进社区" in str(unknown.value.params["areas"])


async def test_granting_and_revoking_admin_rights(deps: Dependencies) -> None:
    bound = await admins.admin_target(deps, None, "grid_qj01_1")
    assert bound.telegram_id == WORKER_ID and bound.shown == f"@grid_qj01_1 ({WORKER_ID})"
    assert await admins.grant_admin(deps, bound, actor=ADMIN_ID)
    assert deps.is_admin(WORKER_ID)
    assert not await admins.grant_admin(deps, bound, actor=ADMIN_ID)  # already one
    pending = await admins.admin_target(deps, None, "later_user")
    assert pending.telegram_id is None and await admins.grant_admin(deps, pending, actor=ADMIN_ID)
    await admins.claim_grant(deps, 4242, "later_user")
    assert deps.is_admin(4242)
    assert admins.is_env_admin(deps, await admins.admin_target(deps, ADMIN_ID, None))
    assert await admins.revoke_admin(deps, bound, actor=ADMIN_ID)
    assert not deps.is_admin(WORKER_ID)
    assert {g.username for g in await admins.grants(deps)} == {"later_user"}


async def test_export_and_backup(deps: Dependencies, tmp_path: Path) -> None:
    await zero_of_qj01(deps, DAY)
    request = LedgerRequest(DayRange(DAY, DAY), None, "csv", "en")
    written = await export_ledger(deps, request, tmp_path / "ledger.zip")
    assert written.path.exists() and written.rows[Sheet.REPORTS] == 10  # one row per grid
    made = await backup_database(deps, tmp_path / "copy.sqlite3")
    with sqlite3.connect(made.path) as copy:
        assert copy.execute("SELECT count(*) FROM reports").fetchone() == (1,)
