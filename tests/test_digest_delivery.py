"""Digest delivery limits: big areas get the per-grid table as a spreadsheet."""

from io import BytesIO
from pathlib import Path

from harness import ADMIN_ID, DAY, Harness
from openpyxl import load_workbook

HEADER = "area,grid_code,grid_name,worker_name,worker_username,worker_id,households,population\n"


def big_roster(path: Path, grids: int) -> Path:
    rows = [
        f"大街道/第{n // 10 + 1}社区,G-{n:03d},第{n}网格,网格员{n},,{720000000 + n},300,900\n"
        for n in range(grids)
    ]
    path.write_text(HEADER + "".join(rows), "utf-8")
    return path


async def test_an_area_with_many_grids_gets_the_table_as_a_spreadsheet(
    bot: Harness, tmp_path: Path
) -> None:
    await bot.import_roster(big_roster(tmp_path / "big.csv", 45))
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_500, "大街道指挥部", admins=(admin,))
    await bot.send(admin, "/bindgroup 大街道", chat=group)
    replies = await bot.send(admin, "/digest", chat=group)
    texts = [message.text or "" for message in replies if message.document is None]
    assert texts and all(len(text) <= 4096 for text in texts)
    assert any("附件" in text or "表格" in text for text in texts)
    documents = [message.document for message in replies if message.document is not None]
    assert len(documents) == 1
    sheet = load_workbook(BytesIO(documents[0].content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("区域", "网格编号", "网格", "状态")
    assert len(rows) == 1 + 45
    assert {row[3] for row in rows[1:]} == {"未报"}
    assert sheet.freeze_panes == "A2"


async def test_a_digest_whose_attachment_fails_once_is_not_sent_twice(
    bot: Harness, tmp_path: Path
) -> None:
    await bot.import_roster(big_roster(tmp_path / "big.csv", 45))
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_501, "大街道指挥部", admins=(admin,))
    await bot.send(admin, "/bindgroup 大街道", chat=group)
    bound = len(group.inbox())
    bot.emu.fail_next("sendDocument", status=502)
    bot.at(20, 0)
    await bot.tick()
    digest = group.inbox()[bound:]
    kinds = [(message.document is not None, message.photo is not None) for message in digest]
    assert kinds == [(False, False), (True, False), (False, True)]  # text, table, chart
    [record] = await bot.deps.db.schedule.records(DAY, "digest")
    assert record.attempts == 2
