"""Benchmark: the area chart of a district, from its figures to the PNG.

The benchmarks' district (:mod:`bench.world`: 1,000 grids, or 10,000, in 5 streets and 50
communities) with a year of history and its kept running figures. Measures, as the median
of ``--repeat`` runs:

- ``render_ms``: drawing one chart (the district's 14 days, its 5 street panels) to PNG —
  the target is 300 ms — and ``render_cpu_ms``, the processor time it took (the same on a
  busy machine, where the wall time also counts waiting for a core; ``load_average`` says
  how busy it was);
- ``figures_ms``: the queries behind it (14 and 90 days; they do not grow with the history);
- ``draw_ms``: the whole use case (queries, plotted data, PNG), as the digest runs it.

Prints one JSON object::

    .venv/bin/python -m bench.chart --repeat 10

It is also the ``chart`` scenario of ``make bench`` (:func:`chart`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.world import LAST_DAY, district
from bot.charting.fonts import drawing_locale
from bot.charting.render import render_png
from bot.dependencies import Dependencies
from bot.domain.chart import ChartRequest, build_chart
from bot.domain.models import Area
from bot.usecases.chart import chart_input, draw_chart

TARGET_MS = 300.0
GRIDS = 1000


async def median_ms(
    repeat: int,
    run: Callable[[], Awaitable[object]],
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """The median time of ``run`` by ``clock`` over ``repeat`` runs, after a warm-up run."""
    await run()
    times = []
    for _ in range(repeat):
        started = clock()
        await run()
        times.append((clock() - started) * 1000)
    return round(statistics.median(times), 1)


async def measure(deps: Dependencies, area: Area, repeat: int) -> dict[str, object]:
    request = ChartRequest(area, LAST_DAY, 14)
    data = await chart_input(deps, request, highlight=LAST_DAY)
    locale, font = drawing_locale("zh_CN")
    chart = build_chart(data, locale, latin_only=font is None)

    async def render() -> bytes:
        return render_png(chart, font)

    async def figures(days: int) -> object:
        return await chart_input(deps, ChartRequest(area, LAST_DAY, days), highlight=LAST_DAY)

    async def draw() -> object:
        return await draw_chart(deps, request, "zh_CN", highlight=LAST_DAY)

    render_ms = await median_ms(repeat, render)
    return {
        "render_ms": render_ms,
        "render_target_ms": TARGET_MS,
        "render_within_target": render_ms <= TARGET_MS,
        "render_cpu_ms": await median_ms(repeat, render, time.process_time),
        "figures_14_days_ms": await median_ms(repeat, lambda: figures(14)),
        "figures_90_days_ms": await median_ms(repeat, lambda: figures(90)),
        "draw_ms": await median_ms(repeat, draw),
        "png_bytes": len(await render()),
        "font": font,
        "panels": len(chart.panels),
    }


async def chart(history_days: int = 365, repeat: int = 10, grids: int = GRIDS) -> dict[str, object]:
    """The scenario: build the district, measure, return the figures."""
    started = time.perf_counter()
    async with district(grids, history_days) as (deps, _):
        seeded = time.perf_counter() - started
        top = await deps.db.roster.area_by_path("区")
        assert top is not None
        results = await measure(deps, top, repeat)
    return {
        "benchmark": "chart",
        "grids": grids,
        "history_days": history_days,
        "seed_s": round(seeded, 1),
        "repeat": repeat,
        **results,
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(chart(options.history_days, options.repeat)), indent=2))
