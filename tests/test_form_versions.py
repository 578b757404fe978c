"""Form versions: a form that adds ``nat_samples`` and drops ``households_visited`` between two
days never rewrites the past (the measured scenario of issue 10).

The bot runs the three days of ``ledger_scenario`` (D1–D3, today D3) under the shipped form;
the new form is applied from D4, when QJ-01 files a report under it. Then the older days'
digest, the ledger (XLSX and CSV), /fix of an older day and the new day's digest are checked.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from harness import ADMIN_ID, EVERYTHING_ZERO, Harness, answer_questions, texts
from ledger_scenario import COMMUNITY, D1, D2, D3, STREET, ledger_harness
from test_cli import gridbot

from bot.clock import ManualClock
from bot.domain.dates import DayRange
from bot.domain.digest import render_plain
from bot.domain.form import parse_form, read_form_text
from bot.domain.form_diff import diff_forms, render_diff
from bot.domain.form_versions import FormHistory, FormVersion
from bot.emulator import BotApiEmulator
from bot.form_changes import FormChangeError, apply_form, check_form
from bot.ledger_file import LedgerRequest, write_ledger
from bot.usecases.digests import compile_area_digest

D4 = D3 + timedelta(days=1)

NAT_SAMPLES = """[[fields]]
key = "nat_samples"
kind = "count"
label = { zh = "核酸采样人数", en = "NAT samples taken" }
help = { zh = "今天在本网格完成核酸采样的人数。", en = "People sampled for a NAT test today." }
unit = { zh = "人", en = "people" }
unit_one = { zh = "人", en = "person" }
max = 20000

"""
REUSED_AS_TEXT = """[[fields]]
key = "households_visited"
kind = "text"
label = { zh = "走访情况", en = "Visits" }
help = { zh = "今天走访的情况。", en = "How the visits went today." }
required = false

"""


def new_form_text() -> str:
    """The shipped form with ``nat_samples`` after ``screened`` and ``households_visited``
    (and the rule that used it) dropped."""
    blocks = read_form_text().split("\n[[")
    kept = [
        block
        for block in blocks
        if 'key = "households_visited"' not in block
        and 'id = "households_within_grid"' not in block
    ]
    text = "\n[[".join(kept)
    anchor = '[[fields]]\nkey = "arrivals"\n'
    assert anchor in text
    return text.replace(anchor, NAT_SAMPLES + anchor)


@pytest.fixture
async def changed(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The three days filed under the old form, the new form from D4, QJ-01 filed on D4."""
    async with ledger_harness(emulator, clock, tmp_path / "gridbot.sqlite3") as bot:
        deps = bot.deps
        checked = check_form(deps.db, new_form_text(), "new.toml", D3)
        await apply_form(deps.db, checked, since=D4, today=D3, now=deps.now(), actor=ADMIN_ID)
        bot.at(10, 0, D4)
        worker = bot.user(710000001, "王娜")
        await bot.send(worker, "/report")
        answers = {**EVERYTHING_ZERO, "nat_samples": "35", "screened": "90"}
        asked = await answer_questions(bot, worker, answers)
        assert "nat_samples" in asked and "households_visited" not in asked
        await bot.press(worker, "✅ 无异常情况")
        await bot.press(worker, "✅ 提交")
        yield bot


def test_the_diff_names_what_is_added_and_dropped() -> None:
    old = parse_form(read_form_text(), "old")
    diff = diff_forms(FormHistory.single(old), old, parse_form(new_form_text(), "new"))
    lines = render_diff(diff, "zh_CN")
    assert lines[0] == "+ 新增项目 核酸采样人数（nat_samples，计数）"
    assert "− 删除项目 入户走访户数（households_visited）" in lines[1]
    assert "− 删除校验规则：households_within_grid" in lines
    assert diff.unsafe == ()


async def test_the_report_of_the_new_day_records_the_new_form(changed: Harness) -> None:
    report = await changed.report("QJ-01", D4)
    assert report is not None
    assert report.current.form_version == 2
    assert report.current.values["nat_samples"] == 35
    assert "households_visited" not in report.current.values
    older = await changed.report("QJ-01", D1)
    assert older is not None and {v.form_version for v in older.versions} == {1}


async def test_a_form_cannot_start_on_a_day_that_has_reports(changed: Harness) -> None:
    deps = changed.deps
    checked = check_form(deps.db, read_form_text(), "old.toml", D4)
    with pytest.raises(FormChangeError) as refused:
        await apply_form(deps.db, checked, since=D4, today=D4, now=deps.now(), actor=None)
    assert "2026-11-23" in refused.value.render("en")
    with pytest.raises(FormChangeError):
        await apply_form(deps.db, checked, since=D3, today=D4, now=deps.now(), actor=None)


async def test_the_older_days_digest_keeps_the_dropped_field_and_never_shows_the_new_one(
    changed: Harness,
) -> None:
    deps = changed.deps
    street = await changed.deps.db.roster.area_by_path(STREET)
    assert street is not None
    old = render_plain(await compile_area_digest(deps, street, D2), "zh_CN")
    assert "核酸采样" not in old
    assert "入户走访户数：今日 0 户（较昨日 −60），累计 60" in old
    new = render_plain(await compile_area_digest(deps, street, D4), "zh_CN")
    assert "入户走访户数" not in new.split("【各网格】")[0]
    assert "核酸采样人数：今日 35 人（昨日未问），累计 35（自 2026-11-23 起）" in new


async def test_the_ledger_has_both_columns_with_empty_cells_where_not_asked(
    changed: Harness, tmp_path: Path
) -> None:
    deps = changed.deps
    request = LedgerRequest(DayRange(D1, D4), None, "xlsx", "zh_CN")
    await write_ledger(deps, request, tmp_path / "l.xlsx")
    book = openpyxl.load_workbook(tmp_path / "l.xlsx")
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[1] if rows[0][0] != "日期" else rows[0]
    nat, visits = header.index("核酸采样人数（人）"), header.index("入户走访户数（户）")
    assert header.index("排查人数（人）") < visits < nat  # a dropped field stays where it was
    table = {(row[2], str(row[0])[:10]): row for row in rows if row and row[2] == "QJ-01"}
    assert table[("QJ-01", D1.isoformat())][visits] == 40
    assert table[("QJ-01", D1.isoformat())][nat] is None
    assert table[("QJ-01", D4.isoformat())][nat] == 35
    assert table[("QJ-01", D4.isoformat())][visits] is None

    request = LedgerRequest(DayRange(D1, D4), None, "csv", "zh_CN")
    await write_ledger(deps, request, tmp_path / "l.zip")
    with zipfile.ZipFile(tmp_path / "l.zip") as archive:
        name = next(n for n in archive.namelist() if "日报" in n or n.startswith("1"))
        lines = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    head = next(line for line in lines if "核酸采样人数（人）" in line)
    cells = {(line[2], line[0][:10]): line for line in lines if len(line) > 2}
    nat, visits = head.index("核酸采样人数（人）"), head.index("入户走访户数（户）")
    assert cells[("QJ-01", D1.isoformat())][visits] == "40"
    assert cells[("QJ-01", D1.isoformat())][nat] == ""
    assert cells[("QJ-01", D4.isoformat())][nat] == "35"
    assert cells[("QJ-01", D4.isoformat())][visits] == ""


async def test_fix_of_an_older_day_uses_that_days_form(changed: Harness) -> None:
    bot = changed
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    supervisor = bot.user(800_000_001, "赵主任")
    group.add_member(supervisor)
    await bot.send(admin, f"/bindgroup {COMMUNITY}", chat=group)
    refused = texts(
        await bot.send(supervisor, f"/fix QJ-05 {D2.isoformat()} nat_samples 3 核对", chat=group)
    )
    assert "当天未问" in refused
    done = texts(
        await bot.send(
            supervisor, f"/fix QJ-05 {D2.isoformat()} households_visited 12 漏报", chat=group
        )
    )
    assert "0 → 12" in done
    report = await bot.report("QJ-05", D2)
    assert report is not None and report.current.values["households_visited"] == 12
    assert report.current.form_version == 1
    wrong_today = texts(
        await bot.send(
            supervisor, f"/fix QJ-01 {D4.isoformat()} households_visited 3 核对", chat=group
        )
    )
    assert "当天未问" in wrong_today


def test_unsafe_changes_are_refused_with_one_line_naming_the_field() -> None:
    old = parse_form(read_form_text(), "old")
    history = FormHistory.single(old)
    unit = parse_form(
        read_form_text().replace('zh = "户", en = "households"', 'zh = "人", en = "people"'), "u"
    )
    [change] = diff_forms(history, old, unit).unsafe
    assert change.render("en").startswith(
        "Refused: field “households_visited” would change its unit from 户 to 人"
    )
    dropped = parse_form(new_form_text(), "new")
    later = FormHistory((*history.versions, FormVersion(2, dropped, "", "", D4)))
    reused = new_form_text().replace(NAT_SAMPLES, REUSED_AS_TEXT)
    [change] = diff_forms(later, dropped, parse_form(reused, "r")).unsafe
    assert change.reason == "reused"
    assert "“households_visited” was a count field that was dropped" in change.render("en")
    renamed = read_form_text().replace(
        'zh = "入户走访户数", en = "Households visited"', 'zh = "走访户数", en = "Homes visited"'
    )
    diff = diff_forms(history, old, parse_form(renamed, "l"))
    assert diff.unsafe == () and [c.field.key for c in diff.changed] == ["households_visited"]


def test_gridbot_form_check_apply_and_history(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(tmp_path / "gridbot.sqlite3"), "GRIDBOT_LOCALE": "en"}
    new = tmp_path / "new.toml"
    new.write_text(new_form_text(), "utf-8")
    checked = gridbot(env, "form", "check", str(new))
    assert checked.returncode == 0, checked.stderr
    assert "Form in force today: version 1 (from the beginning)" in checked.stdout
    assert "+ new field NAT samples taken (nat_samples, count)" in checked.stdout
    assert "− dropped field Households visited (households_visited)" in checked.stdout
    applied = gridbot(env, "form", "apply", str(new))
    assert applied.returncode == 0, applied.stderr
    assert "Applied: form version 2 is in force from" in applied.stdout
    history = gridbot(env, "form", "history")
    assert "version 1: from the beginning" in history.stdout
    assert "← in force today" in history.stdout.splitlines()[0]
    bad = tmp_path / "bad.toml"
    bad.write_text(
        new_form_text().replace(
            'key = "nat_samples"\nkind = "count"', 'key = "screened"\nkind = "text"'
        ),
        "utf-8",
    )
    refused = gridbot(env, "form", "apply", str(bad), "--from", "today")
    assert refused.returncode == 1
    assert "“screened” appears more than once" in refused.stderr
