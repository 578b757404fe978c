"""The short demo (one day, ten grids), played once per test session.

``test_demo`` asserts its outcome and ``test_transcript`` loads its page in a browser; both
take it from here so it is played only once. It runs on its own event loop in a worker
thread, so it can be started from a synchronous fixture whatever loop the tests use.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.demo import DemoOptions, play
from bot.demo.run import Demo

SEED = 20261123
GRIDS_PER_COMMUNITY = 5
"""Ten grids: one for each special part of the script, and an ordinary detailed one."""


@dataclass(frozen=True)
class PlayedDemo:
    """The finished demo and every line it printed."""

    demo: Demo
    lines: list[str]

    @property
    def out(self) -> Path:
        return self.demo.options.out


@functools.cache
def short_demo(out: Path) -> PlayedDemo:
    """Play the short demo into ``out`` (once per path and session)."""
    lines: list[str] = []
    options = DemoOptions(
        lang="zh_CN",
        days=1,
        seed=SEED,
        out=out,
        grids_per_community=GRIDS_PER_COMMUNITY,
        say=lines.append,
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        demo = pool.submit(asyncio.run, play(options)).result()
    return PlayedDemo(demo, lines)
