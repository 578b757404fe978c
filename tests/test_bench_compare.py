"""``python -m bench.compare`` sets two benchmark runs side by side: each case both ran, each
headline figure both measured (a figure an older run lacks is left out, a case of a kind it
does not know shows no figures), and a file that is not a run's results gets one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def results_file(path: Path, commit: str, results: list[dict[str, Any]]) -> Path:
    document = {"commit": commit, "machine": {"load_average": [0.5, 0.4, 0.3]}, "results": results}
    path.write_text(json.dumps(document))
    return path


def case(label: str, scenario: str, **figures: float) -> dict[str, Any]:
    return {
        "label": label,
        "scenario": scenario,
        "figures": {key: {"median": value} for key, value in figures.items()},
    }


def compare(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.compare", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_shows_the_figures_both_runs_measured(tmp_path: Path) -> None:
    before = results_file(
        tmp_path / "before.json",
        "aaaaaaa",
        [
            case("export csv", "export", cpu_s=6.87, wall_s=4.13, rows_per_s=88370),
            case("chart", "chart", render_ms=267),
            case("gone since", "digests", cpu_s=1.0, wall_s=1.0, stall_ms=9),
        ],
    )
    after = results_file(
        tmp_path / "after.json",
        "bbbbbbb",
        [
            case("export csv", "export", cpu_s=5.8, wall_s=3.5, rows_per_s=104000, peak_rss_mb=61),
            case("chart", "chart", render_ms=264, render_cpu_ms=250),
            case("new case", "digests", cpu_s=0.7, wall_s=0.7, stall_ms=8),
        ],
    )
    shown = compare(before, after)
    assert shown.returncode == 0, shown.stderr
    assert "before: aaaaaaa (load 0.5), after: bbbbbbb (load 0.5)" in shown.stdout
    assert (
        "| export csv | cpu_s 6.87 → 5.8, wall_s 4.13 → 3.5, rows_per_s 88,370 → 104,000 |"
        in shown.stdout
    )
    assert "| chart | render_ms 267 → 264 |" in shown.stdout
    assert "new case" not in shown.stdout and "gone since" not in shown.stdout


def test_a_file_that_is_not_results_gets_one_line(tmp_path: Path) -> None:
    good = results_file(tmp_path / "good.json", "aaaaaaa", [])
    (tmp_path / "bad.json").write_text("{not json")
    for bad in (tmp_path / "bad.json", tmp_path / "missing.json"):
        shown = compare(bad, good)
        assert shown.returncode == 1
        assert shown.stderr.startswith(f"{bad}: not a results file of python -m bench")
        assert "Traceback" not in shown.stderr
