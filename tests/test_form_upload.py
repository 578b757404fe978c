"""A new form sent in chat as a ``.toml`` document: the preview, then ✅ from tomorrow; a
draft in progress when a form starts today is told what changed."""

from __future__ import annotations

from datetime import timedelta

from harness import (
    ADMIN_ID,
    DAY,
    EVERYTHING_ZERO,
    Harness,
    answer_questions,
    current_question,
    texts,
)
from test_form_versions import new_form_text

from bot.emulator import SimUser
from bot.form_changes import apply_form, check_form


async def upload(user: SimUser, name: str, content: bytes) -> str:
    await user.send_document(name, content)
    return texts(await user.wait_for_message(1))


async def test_an_admin_previews_then_applies_a_form_from_tomorrow(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    bot.at(9, 0)
    preview = await upload(admin, "新表单.toml", new_form_text().encode("utf-8"))
    assert "今天施行的表单：第 1 版（自开始起）" in preview
    assert "新表单.toml 将成为表单第 2 版，自 2026-11-23 起施行" in preview
    assert "+ 新增项目 核酸采样人数（nat_samples，计数）" in preview
    assert "− 删除项目 入户走访户数（households_visited）" in preview
    assert admin.last().buttons == [["✅ 自 2026-11-23 起施行", "✖️ 取消"]]
    assert len(bot.deps.forms.versions) == 1  # nothing yet
    done = texts(await bot.press(admin, "✅ 自 2026-11-23 起施行"))
    assert "已启用：表单第 2 版自 2026-11-23 起施行。" in done
    latest = bot.deps.forms.latest
    assert latest.number == 2 and latest.since == DAY + timedelta(days=1)
    assert bot.deps.form_for(DAY).has_field("households_visited")
    assert bot.deps.form_for(DAY + timedelta(days=1)).has_field("nat_samples")
    again = await upload(admin, "新表单.toml", new_form_text().encode("utf-8"))
    assert "第 2 版已定于 2026-11-23 开始施行" in again


async def test_an_unsafe_or_broken_form_is_refused_in_one_line(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    screened = (
        'unit = { zh = "人", en = "people" }\nunit_one = { zh = "人", en = "person" }\nmax = 20000'
    )
    assert screened in new_form_text()
    other_unit = new_form_text().replace(
        screened, 'unit = { zh = "户", en = "homes" }\nmax = 20000', 1
    )
    refused = await upload(admin, "bad.toml", other_unit.encode("utf-8"))
    assert "表单未启用：拒绝：项目“screened”的单位将从 人 改为 户" in refused
    assert admin.last().buttons == []
    broken = await upload(admin, "broken.toml", b"version = [")
    assert "broken.toml" in broken and "TOML" in broken
    not_utf8 = await upload(admin, "gbk.toml", "标题".encode("gb18030"))
    assert "UTF-8" in not_utf8
    assert len(bot.deps.forms.versions) == 1


async def test_a_cancelled_preview_changes_nothing_and_workers_cannot_upload(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    await upload(admin, "new.toml", new_form_text().encode("utf-8"))
    assert "表单保持不变" in texts(await bot.press(admin, "✖️ 取消"))
    worker = bot.user(710000001, "王娜")
    await worker.send_document("new.toml", new_form_text().encode("utf-8"))
    await worker.wait_for_message(1)
    assert "新增项目" not in worker.texts()[-1]
    assert len(bot.deps.forms.versions) == 1


async def test_a_draft_started_under_the_old_form_is_told_what_changed(bot: Harness) -> None:
    worker = bot.user(710000011, "徐涛")
    bot.at(9, 0)
    await bot.send(worker, "/report")
    while (key := current_question(bot, worker)) != "arrivals":
        assert key is not None
        await bot.send(worker, {"screened": "10", "households_visited": "3"}.get(key, "0"))
    deps = bot.deps
    checked = check_form(deps.db, new_form_text(), "new.toml", DAY)
    await apply_form(deps.db, checked, since=DAY, today=DAY, now=deps.now(), actor=ADMIN_ID)
    before = len(worker.inbox())
    await bot.send(worker, "5")  # meant for 新增返乡/外来人员 of the old form
    told = [message.plain_text for message in worker.inbox()[before:]]
    assert len(told) == 1 and "今天的报告表单有变化（现为第 2 版）" in told[0]
    assert "+ 新增项目 核酸采样人数（nat_samples，计数）" in told[0]
    await bot.send(worker, "/report")
    assert current_question(bot, worker) == "nat_samples"  # screened kept, the new one next
    await answer_questions(bot, worker, {**EVERYTHING_ZERO, "nat_samples": "7"})
    await bot.press(worker, "✅ 无异常情况")
    await bot.press(worker, "✅ 提交")
    report = await bot.report("QJ-05")
    assert report is not None and report.current.form_version == 2
    assert report.current.values["screened"] == 10 and report.current.values["nat_samples"] == 7
    assert "households_visited" not in report.current.values
