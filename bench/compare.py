"""``python -m bench.compare BEFORE.json AFTER.json``: the headline figures of the cases both
runs have, before → after, as a Markdown table (medians; CPU seconds are the stable part on
a shared machine)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SHOWN = {
    "updates": ("gridbot_cpu_ms", "bare_ptb_cpu_ms", "ratio"),
    "digests": ("cpu_s", "wall_s", "stall_ms"),
    "replies": ("reply_p50_ms", "reply_p99_ms", "fanout_per_s", "lost", "http_429"),
    "export": ("cpu_s", "wall_s", "rows_per_s", "peak_rss_mb"),
    "evening": ("idle_rss_mb", "peak_rss_mb", "after_rss_mb", "stall_ms"),
}


def medians(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    document = json.loads(path.read_text())
    return document, {result["label"]: result for result in document["results"]}


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main() -> None:
    before_doc, before = medians(Path(sys.argv[1]))
    after_doc, after = medians(Path(sys.argv[2]))
    print(
        f"before: {before_doc['commit']} (load {before_doc['machine']['load_average'][0]:.1f})"
        f", after: {after_doc['commit']} (load {after_doc['machine']['load_average'][0]:.1f})\n"
    )
    print("| case | before → after (medians) |\n|---|---|")
    for label, result in after.items():
        if label not in before:
            continue
        parts = []
        for key in SHOWN[result["scenario"]]:
            old = before[label]["figures"][key]["median"]
            new = result["figures"][key]["median"]
            parts.append(f"{key} {number(old)} → {number(new)}")
        print(f"| {label} | {', '.join(parts)} |")


if __name__ == "__main__":
    main()
