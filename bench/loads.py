"""The evening's heavy work: every area's digest, and ledger exports, on a generated district;
the night's pruning of the send log; an admin's ``/stats`` of the whole district, and who is
missing (what the nags, the escalation and ``/late`` read).

Each is timed in wall and CPU seconds while a heartbeat task measures the longest the event
loop was held (a stall: no other update could be handled meanwhile).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.world import LAST_DAY, district
from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.ledger_tables import ExportFormat, Sheet
from bot.ledger_file import LedgerRequest, write_ledger
from bot.outbound.digest_text import digest_text
from bot.usecases.digests import compile_area_digests
from bot.usecases.evening_process import compile_evening_digests, draw_evening_charts
from bot.usecases.send_log import prune_send_log
from bot.usecases.standing import standing
from bot.usecases.stats import area_stats

BEAT = 0.005
"""Seconds between heartbeats."""


@dataclass
class Watch:
    """Wall and CPU time of a block, the longest event-loop stall and the peak RSS in it."""

    wall: float = 0.0
    cpu: float = 0.0
    stall: float = 0.0
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)


def rss() -> int:
    """Resident memory of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@asynccontextmanager
async def watched() -> AsyncIterator[Watch]:
    """Measure the block: see :class:`Watch`."""
    watch = Watch(peak_rss=rss())

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(BEAT)
            now = time.monotonic()
            watch.stall = max(watch.stall, now - last - BEAT)
            last = now

    def sample() -> None:
        while not watch._stop.wait(0.01):
            watch.peak_rss = max(watch.peak_rss, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    wall, cpu = time.monotonic(), time.process_time()
    try:
        yield watch
    finally:
        watch.wall, watch.cpu = time.monotonic() - wall, time.process_time() - cpu
        beating.cancel()
        watch._stop.set()
        sampler.join()
        watch.peak_rss = max(watch.peak_rss, rss())


async def all_digests(grids: int, days: int, repeat: int = 1) -> list[dict[str, Any]]:
    """Every area's digest of the last day, as the evening compiles them, ``repeat`` times."""
    runs = []
    async with district(grids, days) as (deps, _):
        for _ in range(repeat):
            async with watched() as watch:
                compiled = await compile_every_area(deps)
            figures = {"wall_s": watch.wall, "cpu_s": watch.cpu, "stall_ms": 1000 * watch.stall}
            runs.append({**figures, "digests": compiled})
    return runs


async def digest_history(
    grids: int, short: int, long: int, repeat: int = 1
) -> list[dict[str, Any]]:
    """Every area's digest of the last day of the same district with ``short`` and with
    ``long`` days of history, one after the other, ``repeat`` times each (which goes first
    alternates): each round's ratio compares two compiles a second apart, so that the
    machine's speed, which drifts by up to a third from one hour to the next, cancels out
    of it (the separate cases of :func:`all_digests` run minutes apart)."""
    runs = []
    async with district(grids, short) as (few, _), district(grids, long) as (many, _):
        for deps in (few, many):  # the process's first compiles are not compared
            await compile_every_area(deps)
        pair = {"short_cpu_s": few, "long_cpu_s": many}
        order = list(pair)
        for round_ in range(repeat):
            cpu = {}
            for key in order if round_ % 2 == 0 else order[::-1]:
                async with watched() as watch:
                    await compile_every_area(pair[key])
                cpu[key] = watch.cpu
            runs.append({**cpu, "ratio": cpu["long_cpu_s"] / cpu["short_cpu_s"]})
    return runs


async def compile_every_area(deps: Dependencies) -> int:
    """The digest of every area for the last day, as the evening compiles them."""
    areas = await deps.db.roster.areas()
    await compile_area_digests(deps, areas, LAST_DAY)
    return len(areas)


async def export(grids: int, history: int, days: int, fmt: ExportFormat) -> dict[str, Any]:
    """The ledger of the last ``days`` of a ``history``-day district, in ``fmt``."""
    async with district(grids, history) as (deps, _):
        span = DayRange(LAST_DAY - timedelta(days=days - 1), LAST_DAY)
        with tempfile.TemporaryDirectory() as folder:
            request = LedgerRequest(span, None, fmt, "zh_CN")
            async with watched() as watch:
                result = await write_ledger(deps, request, Path(folder) / f"ledger.{fmt}")
    rows = result.rows[Sheet.REPORTS]
    return {
        "rows": rows,
        "wall_s": watch.wall,
        "cpu_s": watch.cpu,
        "rows_per_s": rows / watch.wall,
        "peak_rss_mb": watch.peak_rss / 1e6,
        "stall_ms": 1000 * watch.stall,
        "size_mb": result.size / 1e6,
    }


async def period_stats(
    grids: int, history: int, days: int, repeat: int = 1
) -> list[dict[str, Any]]:
    """``/stats`` of the whole district over its last ``days`` days (of ``history``), as an
    admin asks it (the figures read and added up), ``repeat`` times."""
    runs = []
    async with district(grids, history) as (deps, _):
        span = DayRange(LAST_DAY - timedelta(days=days - 1), LAST_DAY)
        for _ in range(repeat):
            async with watched() as watch:
                stats = await area_stats(deps, None, span)
            counts = stats.total.counts
            figures = {"wall_s": watch.wall, "cpu_s": watch.cpu, "stall_ms": 1000 * watch.stall}
            runs.append({**figures, "grid_days": counts.expected + counts.excused})
    return runs


async def missing(grids: int, history: int, repeat: int = 1) -> list[dict[str, Any]]:
    """Who is missing on the district's last day (:func:`bot.usecases.standing.standing`,
    what each nag round, the escalation and ``/late`` read), ``repeat`` times."""
    runs = []
    async with district(grids, history) as (deps, _):
        for _ in range(repeat):
            async with watched() as watch:
                now = await standing(deps, LAST_DAY)
            figures = {"wall_ms": 1000 * watch.wall, "cpu_ms": 1000 * watch.cpu}
            runs.append({**figures, "stall_ms": 1000 * watch.stall, "missing": len(now.missing)})
    return runs


async def send_log_pruning(grids: int, days: int) -> dict[str, Any]:
    """The first night's pruning of a district's send log kept ``GRIDBOT_SEND_LOG_DAYS``
    (90) days (:func:`bot.usecases.send_log.prune_send_log`): the longest day's transaction
    (how long the bot's writes wait at most) and the pages freed."""
    async with district(grids, days) as (deps, _):
        before = _pages(deps)
        async with watched() as watch:
            pruned = await prune_send_log(deps)
        after = _pages(deps)
    return {
        "days": pruned.days,
        "rows": pruned.rows,
        "wall_s": watch.wall,
        "cpu_s": watch.cpu,
        "day_max_ms": 1000 * pruned.longest,
        "stall_ms": 1000 * watch.stall,
        "file_mb": before[0] / 1e6,
        "freed_mb": (after[1] - before[1]) / 1e6,
    }


def _pages(deps: Dependencies) -> tuple[int, int]:
    """The database file's size and its free pages' size, in bytes."""
    with sqlite3.connect(deps.settings.db) as conn:
        (size,) = conn.execute("PRAGMA page_size").fetchone()
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    return size * pages, size * free


async def evening(grids: int, days: int) -> dict[str, Any]:
    """RSS of the bot's process idle with the district loaded, at its peak during the evening
    and after it: a second later, as the bot goes on, once the garbage is collected. The
    evening as the scheduled one makes it (in child processes): every area's digest
    compiled and made into text (Chinese), then every area's chart. The children's CPU and
    peak RSS are reported beside the bot's, and the bot's own CPU for the texts of one more
    evening, measured without the heartbeat and the RSS sampler."""
    async with district(grids, days) as (deps, _):
        wanted = {(area.id, "zh_CN"): area for area in await deps.db.roster.areas()}
        gc.collect()
        idle = rss()
        async with watched() as watch:
            texts = (await compile_evening_digests(deps, wanted, LAST_DAY, digest_text)).child
            charts = (await draw_evening_charts(deps, wanted, LAST_DAY)).child
        await asyncio.sleep(1.0)
        gc.collect()
        after = rss()
        started = time.process_time()
        again = await compile_evening_digests(deps, wanted, LAST_DAY, digest_text)
        bot_cpu = time.process_time() - started
    if texts is None or charts is None or again.child is None:
        raise RuntimeError("the evening was not made in child processes (see the log)")
    return {
        "idle_rss_mb": idle / 1e6,
        "peak_rss_mb": watch.peak_rss / 1e6,
        "after_rss_mb": after / 1e6,
        "after_vs_idle": after / idle,
        "stall_ms": 1000 * watch.stall,
        "bot_cpu_ms": 1000 * bot_cpu,
        "child_cpu_s": texts.cpu_s,
        "child_ready_cpu_s": texts.ready_cpu_s,
        "child_work_cpu_s": texts.work_cpu_s,
        "child_pickle_cpu_s": texts.cpu_s - texts.ready_cpu_s - texts.work_cpu_s,
        "child_peak_rss_mb": texts.peak_rss / 1e6,
        "charts_child_cpu_s": charts.cpu_s,
        "charts_child_peak_rss_mb": charts.peak_rss / 1e6,
    }
