"""``gridbot demo``: the whole product at work on one machine, without a Telegram token.

A street with two communities and about ten grids, a dozen-odd simulated grid workers and
three supervisor groups play one reporting day (or ``--days N``) at accelerated time through
the real application: real handlers, the real scheduler's ``tick()``, real SQLite. Only the
clock and the Telegram server (the local emulator on 127.0.0.1) are stand-ins.

At the end the street's and one community's digests are printed, and ``--out`` holds the
digests, the roster, the database and ``transcript.html`` (every chat as bubbles).
"""

from __future__ import annotations

import argparse
import logging
import random
import time

from bot.demo.acting import DemoError
from bot.demo.output import TRANSCRIPT, clear_previous, terminal_digests, write_outputs
from bot.demo.run import DB_NAME, Demo, DemoOptions, demo_days, demo_session
from bot.demo.world import pick
from bot.i18n import Locale, t

__all__ = ["DemoError", "DemoOptions", "options_from", "play", "run_demo"]


def options_from(args: argparse.Namespace, default_lang: Locale) -> DemoOptions:
    """Options from the parsed command line; without ``--seed`` a random one (printed)."""
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10_000)
    return DemoOptions(lang=args.lang or default_lang, days=args.days, seed=seed, out=args.out)


async def run_demo(options: DemoOptions) -> int:
    """Play the demo and print where everything is; 0 on success."""
    logging.getLogger().setLevel(logging.WARNING)  # the demo's own lines are the progress
    started = time.monotonic()
    try:
        await play(options)
    except DemoError as error:
        options.say(t(options.lang, "demo.failed", reason=error))
        return 1
    seconds = time.monotonic() - started
    options.say(t(options.lang, "demo.done", seconds=seconds, seed=options.seed))
    return 0


async def play(options: DemoOptions) -> Demo:
    """Set up, play every day, print the digests and write the output files."""
    options.out.mkdir(parents=True, exist_ok=True)
    clear_previous(options.out)
    async with demo_session(options) as demo:
        _introduce(demo)
        await demo.set_up()
        days = demo_days(options.days)
        for day in days:
            await demo.play_day(day, closing=day == days[-1])
        for text in terminal_digests(demo):
            options.say("")
            options.say(text)
        written = write_outputs(demo)
    options.say("")
    options.say(t(options.lang, "demo.written", out=options.out))
    for item in written:
        options.say(t(options.lang, "demo.file.line", name=item.path.name, what=item.what))
    database = t(options.lang, "demo.file.db")
    options.say(t(options.lang, "demo.file.line", name=DB_NAME, what=database))
    options.say(t(options.lang, "demo.open", path=options.out / TRANSCRIPT))
    return demo


def _introduce(demo: Demo) -> None:
    world, lang = demo.world, demo.lang
    demo.say(
        "intro",
        street=pick(world.street_group.area[0], lang),
        communities=len(world.community_groups()),
        grids=len(world.grids),
        workers=len(world.workers),
        days=demo.options.days,
        seed=demo.options.seed,
    )
    demo.say("emulator", url=demo.emu.url)
