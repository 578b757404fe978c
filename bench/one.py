"""Run one scenario in this process and print its figures as JSON on the last line:
``python -m bench.one NAME '{"grids": 1000, ...}'`` (the harness runs each in a fresh process,
so memory figures and caches never leak from one scenario into the next)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bench.chart import chart
from bench.loads import all_digests, evening, export
from bench.replies import replies_during_fanout
from bench.updates import per_update

SCENARIOS: dict[str, Callable[..., Awaitable[Any]]] = {
    "updates": per_update,
    "digests": all_digests,
    "replies": replies_during_fanout,
    "export": export,
    "evening": evening,
    "chart": chart,
}


def main() -> None:
    name, params = sys.argv[1], json.loads(sys.argv[2])
    figures = asyncio.run(SCENARIOS[name](**params))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
