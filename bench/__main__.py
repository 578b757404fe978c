"""``python -m bench [--quick] [--only NAME…] [--out PATH]``: every scenario, a table, a JSON file.

Each scenario runs in a fresh process. Timings are medians of the repeats with min and max;
the machine has other work on it, so compare ratios and CPU time as well as wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Case:
    """One row of the table: a scenario with its parameters."""

    scenario: str
    label: str
    params: dict[str, Any]
    repeat: int = 1


def cases(quick: bool) -> list[Case]:
    """What to run: the quick mode takes about a minute, the full one much longer."""
    if quick:
        return [
            Case("updates", "per update, 10 workers, 30 days", {"workers": 10, "history": 30}),
            Case("digests", "all digests 1,000 grids × 1 day", {"grids": 1000, "days": 1}),
            Case("digests", "all digests 1,000 grids × 30 days", {"grids": 1000, "days": 30}),
            _history(1000, 30, 5),
            Case(
                "replies", "replies during a 300-prompt fan-out", {"prompts": 300, "repliers": 10}
            ),
            *_exports(200, 30, (1, 30)),
            Case("evening", "evening RSS, 1,000 grids × 30 days", {"grids": 1000, "days": 30}),
            Case("chart", "chart of 1,000 grids, 30 days kept", {"history_days": 30, "repeat": 5}),
            _stats(1000, 30, 30),
            _missing(1000, 30),
        ]
    return [
        Case("updates", "per update, 30 workers, 365 days", {"workers": 30, "history": 365}),
        *(
            Case(
                "digests",
                f"all digests {grids:,} grids × {days} days",
                {"grids": grids, "days": days, "repeat": 3},
            )
            for grids in (1000, 10_000)
            for days in (1, 2, 30, 365)
        ),
        _history(10_000, 365, 9),
        Case("replies", "replies during a 3,000-prompt fan-out", {"prompts": 3000, "repliers": 20}),
        *_exports(1000, 365, (1, 30, 365)),
        Case("evening", "evening RSS, 10,000 grids × 30 days", {"grids": 10_000, "days": 30}),
        Case("chart", "chart of 1,000 grids, 365 days kept", {"history_days": 365, "repeat": 10}),
        Case(
            "chart",
            "chart of 10,000 grids, 365 days kept",
            {"history_days": 365, "repeat": 3, "grids": 10_000},
        ),
        *(
            Case(
                "prune",
                f"send log pruned, {grids:,} grids × 365 days",
                {"grids": grids, "days": 365},
            )
            for grids in (1000, 10_000)
        ),
        _stats(10_000, 30, 7),
        _stats(10_000, 365, 7),
        _stats(10_000, 365, 30),
        _stats(1000, 365, 365),
        _missing(10_000, 365),
    ]


def _stats(grids: int, history: int, days: int) -> Case:
    """An admin's ``/stats`` of the whole district over its last ``days`` days, three times."""
    return Case(
        "stats",
        f"/stats {grids:,} grids, {days} of {history} days",
        {"grids": grids, "history": history, "days": days, "repeat": 3},
    )


def _missing(grids: int, history: int) -> Case:
    """Who is missing among the district's grids on its last day, five times."""
    return Case(
        "missing",
        f"who is missing, {grids:,} grids",
        {"grids": grids, "history": history, "repeat": 5},
    )


def _history(grids: int, days: int, repeat: int) -> Case:
    """All digests of ``grids`` with ``days`` of history against 1 day, alternately."""
    return Case(
        "history",
        f"all digests {grids:,} grids, {days} days against 1, alternated",
        {"grids": grids, "short": 1, "long": days, "repeat": repeat},
    )


def _exports(grids: int, history: int, spans: tuple[int, ...]) -> list[Case]:
    return [
        Case(
            "export",
            f"export {fmt} {grids:,} grids, {days} of {history} days",
            {"grids": grids, "history": history, "days": days, "fmt": fmt},
        )
        for fmt in ("xlsx", "csv")
        for days in spans
    ]


def run(case: Case) -> dict[str, Any]:
    """Run a case in a fresh process; its figures, with the process's CPU and peak RSS."""
    params = {key: value for key, value in case.params.items() if key != "repeat"}
    runs: list[dict[str, Any]] = []
    for _ in range(case.repeat if case.scenario not in _REPEATED_INSIDE else 1):
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.one", case.scenario, json.dumps(case.params)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{case.label}: the scenario failed (exit {process.returncode})")
        figures = json.loads(out.strip().splitlines()[-1])
        for item in figures if isinstance(figures, list) else [figures]:
            item["process_s"] = time.monotonic() - started
            item["process_peak_rss_mb"] = usage.ru_maxrss / 1000
            runs.append(item)
    return {"label": case.label, "scenario": case.scenario, "params": params, **summary(runs)}


_REPEATED_INSIDE = frozenset({"digests", "history", "stats", "missing"})
"""Scenarios that repeat their measurement within one process (``repeat`` is theirs)."""


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of every figure over the runs."""
    keys = [key for key, value in runs[0].items() if isinstance(value, int | float)]
    return {
        "runs": len(runs),
        "figures": {
            key: {
                "median": statistics.median(run[key] for run in runs),
                "min": min(run[key] for run in runs),
                "max": max(run[key] for run in runs),
            }
            for key in keys
        },
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def commit() -> str:
    """The commit measured, with ``-dirty`` when the work tree has changes (``BENCH_COMMIT``
    names it when the bench runs from an exported copy of the tree)."""
    if named := os.environ.get("BENCH_COMMIT"):
        return named

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain") else "")


HEADLINES = {
    "updates": ("gridbot_cpu_ms", "bare_ptb_cpu_ms", "ratio"),
    "digests": ("wall_s", "cpu_s", "stall_ms"),
    "history": ("ratio", "short_cpu_s", "long_cpu_s"),
    "replies": ("reply_p50_ms", "reply_p99_ms", "fanout_per_s", "sent_per_s", "lost", "http_429"),
    "export": ("rows_per_s", "wall_s", "peak_rss_mb"),
    "evening": (
        "idle_rss_mb",
        "peak_rss_mb",
        "after_rss_mb",
        "stall_ms",
        "bot_cpu_ms",
        "child_cpu_s",
        "child_peak_rss_mb",
        "charts_child_cpu_s",
    ),
    "chart": ("render_ms", "render_cpu_ms", "figures_14_days_ms", "figures_90_days_ms", "draw_ms"),
    "prune": ("days", "rows", "cpu_s", "day_max_ms", "stall_ms", "freed_mb"),
    "stats": ("cpu_s", "wall_s", "stall_ms", "grid_days"),
    "missing": ("cpu_ms", "stall_ms", "missing"),
}


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table: each row's headline figures, median (min–max)."""
    lines = ["| scenario | figures (median, min–max over runs) |", "|---|---|"]
    for result in results:
        shown = []
        for key in HEADLINES[result["scenario"]]:
            figure = result["figures"][key]
            text = f"{key} {_number(figure['median'])}"
            if result["runs"] > 1:
                text += f" ({_number(figure['min'])}–{_number(figure['max'])})"
            shown.append(text)
        lines.append(f"| {result['label']} | {', '.join(shown)} |")
    return "\n".join(lines)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description="gridbot's benchmarks")
    parser.add_argument("--quick", action="store_true", help="the one-minute set")
    parser.add_argument("--only", nargs="*", help="only the cases whose label contains one")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    chosen = [
        case
        for case in cases(quick)
        if not args.only or any(part in case.label for part in args.only)
    ]
    results = []
    for case in chosen:
        print(f"… {case.label}", file=sys.stderr, flush=True)
        results.append(run(case))
    document = {
        "commit": commit(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
