"""Optimistic concurrency: a correction made from an old version never overwrites a newer one.

The lost update the probe found: a worker opens /correct, a supervisor then /fixes the same
report, the worker submits — the supervisor's fix must survive, and the worker must see it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from harness import ADMIN_ID, DAY, Harness, file_detailed, texts

from bot.domain.models import ReportKind
from storage.reports import VersionConflict

WANG_NA = 710000001


async def test_a_fix_made_while_a_worker_corrects_is_not_reverted(bot: Harness) -> None:
    wang = bot.user(WANG_NA, "王娜")
    await file_detailed(bot, wang, {"screened": "100", "arrivals": "4"})
    admin, supervisor = bot.user(ADMIN_ID, "Admin"), bot.user(800_000_001, "赵主任")
    group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    group.add_member(supervisor)
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)

    await bot.send(wang, "/correct")  # the worker starts from version 1
    await bot.press(wang, "排查人数: 100")
    await bot.send(wang, "130")
    fixed = texts(await bot.send(supervisor, "/fix QJ-01 today arrivals 6 核对后", chat=group))
    assert "第 2 版" in fixed
    await bot.press(wang, "✅ 改完了，填写更正原因")
    await bot.send(wang, "漏报了30人")
    seen = texts(await bot.press(wang, "✅ 提交更正"))

    report = await bot.report("QJ-01")
    assert report is not None and [v.version for v in report.versions] == [1, 2]
    assert "赵主任" in seen and "第 2 版" in seen and "4 → 6" in seen  # what changed, by whom
    assert "再次提交" in seen and "100 → 130" in seen  # the worker's change is still there
    await bot.press(wang, "✅ 提交更正")

    report = await bot.report("QJ-01")
    assert report is not None
    assert [(v.version, v.values["screened"], v.values["arrivals"]) for v in report.versions] == [
        (1, 100, 4),
        (2, 100, 6),
        (3, 130, 6),
    ]
    assert report.current.reason == "漏报了30人"


async def test_a_stale_version_writes_nothing(bot: Harness) -> None:
    wang = bot.user(WANG_NA, "王娜")
    await file_detailed(bot, wang, {"screened": "100"})
    report = await bot.report("QJ-01")
    assert report is not None
    db, worker = bot.deps.db, await bot.worker(WANG_NA)
    assert worker is not None
    common = {
        "kind": ReportKind.DETAILED,
        "incidents": (),
        "baseline": report.current.baseline,
        "worker_id": worker.id,
        "at": datetime(2026, 11, 22, 4, tzinfo=UTC),
        "reason": "核对",
    }
    await db.reports.correct(report.id, values={"screened": 1}, expected_version=1, **common)
    for stale in (1, None, 7):
        with pytest.raises(VersionConflict) as raised:
            await db.reports.correct(
                report.id, values={"screened": 2}, expected_version=stale, **common
            )
        assert raised.value.report.current.version == 2
    after = await bot.report("QJ-01", DAY)
    assert after is not None and [v.values["screened"] for v in after.versions] == [100, 1]
