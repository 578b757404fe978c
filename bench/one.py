"""Run one scenario in this process and print its figures as JSON on the last line:
``python -m bench.one NAME '{"grids": 1000, ...}'`` (the harness runs each in a fresh process,
so memory figures and caches never leak from one scenario into the next).

Only the scenario's own module is imported: the chart's (matplotlib, numpy) would otherwise
add about 45 MB to every other scenario's RSS."""

from __future__ import annotations

import asyncio
import json
import sys
from importlib import import_module

SCENARIOS = {
    "updates": "bench.updates:per_update",
    "digests": "bench.loads:all_digests",
    "history": "bench.loads:digest_history",
    "replies": "bench.replies:replies_during_fanout",
    "export": "bench.loads:export",
    "evening": "bench.loads:evening",
    "prune": "bench.loads:send_log_pruning",
    "stats": "bench.loads:period_stats",
    "missing": "bench.loads:missing",
    "chart": "bench.chart:chart",
}
"""Each scenario's coroutine function, as ``module:name``."""


def main() -> None:
    name, params = sys.argv[1], json.loads(sys.argv[2])
    module, function = SCENARIOS[name].split(":")
    scenario = getattr(import_module(module), function)
    figures = asyncio.run(scenario(**params))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
