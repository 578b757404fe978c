"""The scheduled evening compiles its digests in a child process (a fresh interpreter reading
the database read-only): the groups get what ``/digest`` shows; a child that is killed,
fails, answers garbage or hangs costs one warning line and the digests are compiled in the
bot's process; cancelling the evening kills the child. Every child here is a real process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness import ADMIN_ID, DAY, Harness
from ledger_scenario import TREE_DAYS, generated_tree
from openpyxl import load_workbook

from bot.emulator import SentMessage, SimGroup, SimUser
from bot.outbound.digest_text import DigestText, digest_text
from bot.usecases import evening_process
from bot.usecases.digests import compile_area_digests
from bot.usecases.evening_process import compile_evening_digests
from bot.usecases.send_log import SendStatus

TZ = ZoneInfo("Asia/Shanghai")
REAL_CHILD = evening_process.CHILD_ARGS[-1]
"""The Python code that runs the real child."""
FAULTY_CHILDREN = {
    "killed": f"import os, signal; os.kill(os.getpid(), signal.{signal.SIGKILL.name})",
    "exits 3": "import sys; sys.stdin.buffer.read(); sys.exit(3)",
    "garbage": "import sys; sys.stdin.buffer.read(); sys.stdout.buffer.write(b'\\x80\\x05xyz')",
    "raises": f"import aiosqlite; aiosqlite.connect = None; {REAL_CHILD}",
}
"""Children that give no digests, each its own way (the last is the real child, whose
database cannot be opened)."""


async def test_the_evening_made_in_a_child_is_what_the_bot_makes_itself(tmp_path: Path) -> None:
    async with generated_tree(tmp_path) as deps:
        areas = await deps.db.roster.areas()
        wanted = {(area.id, locale): area for area in areas for locale in ("zh_CN", "en")}

        evening = await compile_evening_digests(deps, wanted, TREE_DAYS.last, digest_text)

        assert evening.child is not None
        assert evening.child.work_cpu_s < evening.child.cpu_s
        digests = await compile_area_digests(deps, areas, TREE_DAYS.last)
        assert evening.result.keys() == wanted.keys()
        for (area, locale), made in evening.result.items():
            own = digest_text(digests[area], locale)
            assert (made.area, made.day, made.messages) == (own.area, own.day, own.messages)
            assert table_rows(made) == table_rows(own)
        assert sum(made.table is not None for made in evening.result.values()) == 2  # district


def table_rows(text: DigestText) -> list[tuple[object, ...]] | None:
    """The per-grid table's rows (the workbook's bytes hold the time it was written)."""
    if text.table is None:
        return None
    content, _ = text.table
    return list(load_workbook(BytesIO(content)).active.iter_rows(values_only=True))


async def evening_group(bot: Harness) -> tuple[SimUser, SimGroup]:
    """A group bound to the sample roster's street, and its admin (the bot's)."""
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_700, "学院南路街道指挥部", admins=(admin,))
    await bot.send(admin, "/bindgroup 学院南路街道", chat=group)
    return admin, group


def texts(messages: list[SentMessage]) -> list[str | None]:
    """The texts among ``messages`` (not the chart)."""
    return [message.text for message in messages if message.photo is None]


async def the_digest_on_demand(bot: Harness, admin: SimUser, group: SimGroup) -> list[str | None]:
    """The texts ``/digest`` (compiled in the bot's process) shows in ``group`` now."""
    return texts(await bot.send(admin, "/digest", chat=group))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == evening_process.__name__ and record.levelno >= logging.WARNING
    ]


async def test_the_scheduled_digest_is_what_digest_shows(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    admin, group = await evening_group(bot)
    before = len(group.inbox())
    bot.at(20, 0)
    with caplog.at_level(logging.INFO, logger=evening_process.__name__):
        await bot.tick()
    assert group.inbox()[-1].photo is not None  # the chart, after the text
    scheduled = texts(group.inbox()[before:])
    assert scheduled == await the_digest_on_demand(bot, admin, group)
    made = [record.message for record in caplog.records if "made in a child" in record.message]
    assert [line.split(" made")[0] for line in made] == [
        "the evening's digests",
        "the evening's charts",
    ]
    assert warnings(caplog) == []
    for kind in ("digest", "digest_chart"):
        [record] = await bot.deps.db.schedule.records(DAY, kind)
        assert record.status == SendStatus.SENT


def fell_back(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the warnings say was made in the bot's process instead."""
    lines = warnings(caplog)
    assert all("making them here" in line for line in lines)
    return [line.split(" were not")[0] for line in lines]


@pytest.mark.parametrize("fault", sorted(FAULTY_CHILDREN))
async def test_a_child_that_gives_nothing_costs_one_warning_and_nothing_else(
    bot: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", FAULTY_CHILDREN[fault]))
    admin, group = await evening_group(bot)
    before = len(group.inbox())
    bot.at(20, 0)
    await bot.tick()
    assert fell_back(caplog) == ["the evening's digests", "the evening's charts"]
    assert group.inbox()[-1].photo is not None
    scheduled = texts(group.inbox()[before:])
    assert scheduled == await the_digest_on_demand(bot, admin, group)
    for kind in ("digest", "digest_chart"):
        [record] = await bot.deps.db.schedule.records(DAY, kind)
        assert record.status == SendStatus.SENT and record.attempts == 1


def hanging_child(pid_file: Path) -> str:
    """A child that adds its process id to ``pid_file`` and never answers."""
    write = f"open({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n')"
    return f"import os, time; {write}; time.sleep(600)"


def gone(pid: int) -> bool:
    """Whether no process (not even a zombie) has this id any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def written_pids(pid_file: Path) -> list[int]:
    """The process ids the hanging children have written so far."""
    text = pid_file.read_text() if pid_file.exists() else ""
    return [int(line) for line in text.split("\n")[:-1]]  # whole lines only


async def started_child(pid_file: Path, evening: asyncio.Task[None]) -> int:
    """The first hanging child's process id, once it has written it."""
    while not (pids := written_pids(pid_file)):
        assert not evening.done()
        await asyncio.sleep(0.02)
    return pids[0]


async def test_a_child_that_never_answers_is_killed_and_the_digest_still_goes(
    bot: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", hanging_child(pid_file)))
    monkeypatch.setattr(evening_process, "CHILD_TIMEOUT_S", 0.5)
    admin, group = await evening_group(bot)
    before = len(group.inbox())
    bot.at(20, 0)
    await bot.tick()
    pids = written_pids(pid_file)
    assert len(pids) == 2 and all(gone(pid) for pid in pids)  # the digests', the charts'
    assert fell_back(caplog) == ["the evening's digests", "the evening's charts"]
    assert all("no answer in" in line for line in warnings(caplog))
    assert group.inbox()[-1].photo is not None
    scheduled = texts(group.inbox()[before:])
    assert scheduled == await the_digest_on_demand(bot, admin, group)


async def test_cancelling_the_evening_kills_the_child_and_a_later_tick_sends_the_digest(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", hanging_child(pid_file)))
    admin, group = await evening_group(bot)
    before = len(group.inbox())
    bot.at(20, 0)
    evening = asyncio.create_task(bot.tick())
    pid = await started_child(pid_file, evening)
    evening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await evening
    assert gone(pid)
    assert group.inbox()[before:] == []
    assert await bot.deps.db.schedule.records(DAY, "digest") == []

    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", REAL_CHILD))
    await bot.restart()
    await bot.tick()
    [record] = await bot.deps.db.schedule.records(DAY, "digest")
    assert record.status == SendStatus.SENT
    assert group.inbox()[-1].photo is not None
    assert texts(group.inbox()[before:]) == await the_digest_on_demand(bot, admin, group)


async def test_a_big_areas_digest_asked_for_is_made_in_a_child_and_shows_the_same(
    bot: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, group = await evening_group(bot)
    with caplog.at_level(logging.INFO, logger=evening_process.__name__):
        here = await the_digest_on_demand(bot, admin, group)  # a small street: compiled here
        monkeypatch.setattr(evening_process, "CHILD_DIGEST_GRIDS", 1)  # now it counts as big
        got = await bot.send(admin, "/digest", chat=group)
    assert texts(got) == here
    assert got[-1].photo is not None
    made = [record.message for record in caplog.records if "made in a child" in record.message]
    assert [line.split(" made")[0] for line in made] == [
        "the charts asked for",
        "the digests asked for",
        "the charts asked for",
    ]
    assert warnings(caplog) == []


@pytest.mark.parametrize("fault", ["killed", "raises"])
async def test_a_digest_asked_for_still_comes_when_its_child_gives_nothing(
    bot: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    admin, group = await evening_group(bot)
    here = await the_digest_on_demand(bot, admin, group)
    monkeypatch.setattr(evening_process, "CHILD_DIGEST_GRIDS", 1)
    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", FAULTY_CHILDREN[fault]))
    got = await bot.send(admin, "/digest", chat=group)
    assert texts(got) == here
    assert got[-1].photo is not None
    assert fell_back(caplog) == ["the digests asked for", "the charts asked for"]
