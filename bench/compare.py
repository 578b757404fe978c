"""``python -m bench.compare BEFORE.json AFTER.json``: the headline figures of the cases both
runs have, before → after, as a Markdown table (medians; CPU seconds are the stable part on
a shared machine). A figure only one of the runs measured is left out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SHOWN = {
    "updates": ("gridbot_cpu_ms", "bare_ptb_cpu_ms", "ratio"),
    "digests": ("cpu_s", "wall_s", "stall_ms"),
    "history": ("ratio", "short_cpu_s", "long_cpu_s"),
    "replies": ("reply_p50_ms", "reply_p99_ms", "fanout_per_s", "sent_per_s", "lost", "http_429"),
    "export": ("cpu_s", "wall_s", "rows_per_s", "peak_rss_mb"),
    "evening": ("idle_rss_mb", "peak_rss_mb", "after_rss_mb", "stall_ms"),
    "chart": ("render_ms", "render_cpu_ms"),
    "prune": ("cpu_s", "day_max_ms", "freed_mb"),
    "stats": ("cpu_s", "wall_s", "stall_ms"),
    "missing": ("cpu_ms", "stall_ms"),
}


def medians(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The results file and its cases by label; exits with one line if it is not one."""
    try:
        document = json.loads(path.read_text())
        return document, {result["label"]: result for result in document["results"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        sys.exit(f"{path}: not a results file of python -m bench ({error})")


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """``key old → new`` for each headline figure of the case both runs measured."""
    parts = []
    for key in SHOWN.get(after["scenario"], ()):
        if key in before["figures"] and key in after["figures"]:
            old = before["figures"][key]["median"]
            new = after["figures"][key]["median"]
            parts.append(f"{key} {number(old)} → {number(new)}")
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description="two runs' headline figures, before → after")
    parser.add_argument("before", type=Path, help="a results file, e.g. bench/results/…json")
    parser.add_argument("after", type=Path, help="another, e.g. bench/results/latest.json")
    args = parser.parse_args()
    before_doc, before = medians(args.before)
    after_doc, after = medians(args.after)
    print(
        f"before: {before_doc['commit']} (load {before_doc['machine']['load_average'][0]:.1f})"
        f", after: {after_doc['commit']} (load {after_doc['machine']['load_average'][0]:.1f})\n"
    )
    print("| case | before → after (medians) |\n|---|---|")
    for label, result in after.items():
        if label in before:
            print(f"| {label} | {', '.join(changes(before[label], result))} |")


if __name__ == "__main__":
    main()
