"""The send log keeps each send's row for GRIDBOT_SEND_LOG_DAYS days: every night the rows
of older days are dropped, a day at a time, and what the ledger and the digests read of
them (each grid's reminder rounds) is kept, so a ledger or digest of those days reads the
same as before. Notices given once and for all stay (they must never be given again)."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ledger_scenario import counts

from bot.clock import ManualClock
from bot.config import ConfigError, Settings, load_settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.digest.render import render_plain
from bot.ledger_file import LedgerRequest, write_ledger
from bot.usecases.digests import compile_area_digest, digest_areas
from bot.usecases.send_log import (
    ONCE_EVER,
    PRUNE_BATCH,
    PrunedLog,
    SendKey,
    claim_send,
    prune_send_log,
)
from storage import synthetic

TZ = ZoneInfo("Asia/Shanghai")
DAYS = DayRange(date(2026, 3, 1), date(2026, 4, 14))
KEPT_DAYS = 30
HORIZON = DAYS.last - timedelta(days=KEPT_DAYS)
"""The first day whose send log is kept, 30 days before the clock's day."""
ADMIN = 900_000_001


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    """A generated district of 60 grids over 45 days (with its send log: prompts,
    reminders, late nags, confirmations, alerts, digests), a notice told once and for all;
    the clock at 20:00 on the last day."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, db=tmp_path / "world.sqlite3", timezone=TZ, send_log_days=KEPT_DAYS
    )
    clock = ManualClock(datetime.combine(DAYS.last, time(20), tzinfo=TZ))
    async with open_dependencies(settings, clock) as opened:
        joined = datetime.combine(DAYS.first - timedelta(days=1), time(9), tzinfo=TZ)
        categories = opened.form.incident_categories
        await synthetic.populate(opened.db, 60, DAYS, counts(screened=10), joined, categories)
        await opened.db.figures.rebuild()
        notice = SendKey("notice:blocked", ONCE_EVER, ADMIN)
        await claim_send(opened, notice, planned_at=joined)
        yield opened


def sends_by_day(deps: Dependencies) -> dict[str, int]:
    with sqlite3.connect(deps.settings.db) as conn:
        return dict(conn.execute("SELECT day, count(*) FROM sends GROUP BY day").fetchall())


async def ledger_members(deps: Dependencies, folder: Path, fmt: str) -> dict[str, bytes]:
    target = folder / f"ledger.{fmt}"
    await write_ledger(deps, LedgerRequest(DAYS, None, fmt, "zh_CN"), target)  # type: ignore[arg-type]
    with zipfile.ZipFile(target) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def digests_of(deps: Dependencies, day: date) -> list[str]:
    return [
        render_plain(await compile_area_digest(deps, area, day), "zh_CN")
        for area in await deps.db.roster.areas()
    ]


@pytest.mark.parametrize("batch", [PRUNE_BATCH, 7])
async def test_old_days_are_dropped_and_read_the_same_in_ledgers_and_digests(
    deps: Dependencies, tmp_path: Path, batch: int
) -> None:
    old_day = HORIZON - timedelta(days=1)
    before = {
        "csv": await ledger_members(deps, tmp_path, "csv"),
        "xlsx": await ledger_members(deps, tmp_path, "xlsx"),
        "reminders": await deps.db.schedule.reminders_sent(old_day),
        "digests": await digests_of(deps, old_day),
    }
    logged = sends_by_day(deps)
    assert sum(before["reminders"].values()) > 60  # most grids got several rounds
    assert any("催报" in text for text in before["digests"])

    pruned = await prune_send_log(deps, batch=batch)

    old = {
        day: rows
        for day, rows in logged.items()
        if ONCE_EVER.isoformat() < day < HORIZON.isoformat()
    }
    assert pruned == PrunedLog(days=len(old), rows=sum(old.values()))
    assert pruned.days == (HORIZON - DAYS.first).days
    assert pruned.longest > 0  # the longest day's transaction was measured
    assert sends_by_day(deps) == {
        day: rows for day, rows in logged.items() if day not in old
    }  # the newer days and the notice told once and for all are untouched
    assert "1970-01-01" in sends_by_day(deps)
    assert await deps.db.schedule.reminders_sent(old_day) == before["reminders"]
    assert await digests_of(deps, old_day) == before["digests"]
    assert await ledger_members(deps, tmp_path, "csv") == before["csv"]
    assert await ledger_members(deps, tmp_path, "xlsx") == before["xlsx"]
    assert await prune_send_log(deps) == PrunedLog(days=0, rows=0)


async def test_a_day_half_pruned_reads_its_kept_reminder_rounds(deps: Dependencies) -> None:
    """Between two batches of a day's pruning (the bot reads meanwhile), its reminder rounds
    are the kept ones, neither the sends left nor both."""
    day = HORIZON - timedelta(days=1)
    before = await deps.db.schedule.reminders_sent(day)
    await deps.db.schedule.keep_reminder_rounds(day)
    batches = 0
    while await deps.db.schedule.prune_sends(day, 7) == 7:  # some grid's sends cut in two
        batches += 1
        assert await deps.db.schedule.reminders_sent(day) == before
    assert batches > 10 and day.isoformat() not in sends_by_day(deps)
    assert await deps.db.schedule.reminders_sent(day) == before


async def test_nothing_is_dropped_within_the_days_kept(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, db=tmp_path / "db.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime.combine(DAYS.last, time(20), tzinfo=TZ))
    async with open_dependencies(settings, clock) as deps:
        joined = datetime.combine(DAYS.first - timedelta(days=1), time(9), tzinfo=TZ)
        categories = deps.form.incident_categories
        await synthetic.populate(deps.db, 5, DAYS, counts(screened=10), joined, categories)
        logged = sends_by_day(deps)

        assert settings.send_log_days == 90  # the default: all 45 days are kept
        assert await prune_send_log(deps) == PrunedLog(days=0, rows=0)
        assert sends_by_day(deps) == logged
        assert await digest_areas(deps)


@pytest.mark.parametrize("value", ["7", "forever", "-1"])
def test_a_bad_number_of_days_names_the_variable_and_what_to_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDBOT_LOCALE", "en")
    monkeypatch.setenv("GRIDBOT_SEND_LOG_DAYS", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f'GRIDBOT_SEND_LOG_DAYS is not valid ("{value}"): use how many days the send log'
        " keeps each message sent, from 30 to 3650, e.g. 90."
    )
    monkeypatch.setenv("GRIDBOT_LOCALE", "zh_CN")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "GRIDBOT_SEND_LOG_DAYS 的值无效" in str(caught.value)
    assert "30 到 3650" in str(caught.value)
