"""The evening's digests compiled in a child process, so the bot's own never builds them.

Compiling every area's digest of ten thousand grids makes hundreds of thousands of objects,
and the digests themselves are most of them (every grid's reports of the day and the day
before, at every level of the tree: about 77 MB). Freed, they left the process's allocators
fragmented, pinned by the few objects that outlive the evening: the bot stayed about 90 MB
above its idle size, and 25 MB even when it only unpickled finished digests. So a fresh
interpreter (started and exec'd like multiprocessing's "spawn", never a fork of the running
bot with its threads) opens the database read-only at the same path, is given the settings,
the form versions, the areas with the languages wanted and the day, compiles the digests
with the same code the bot runs in-process
(:func:`bot.usecases.digests.compile_area_digests`), makes each into what is sent with the
caller's function, and writes those back pickled: text and bytes.

A child that cannot be started, crashes, is killed, answers with something unreadable or not
within :data:`CHILD_TIMEOUT_S` costs a warning line: the digests are then compiled in the
bot's process, as before. Cancelling the evening (the bot shutting down) kills the child,
and every child is waited for, so none is left behind. The child runs in its own session,
so a Ctrl-C meant for the bot never reaches it; if the bot dies, the child ends when it
tries to hand over its work.

The child is :func:`main`.
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from bot import logs
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies
from bot.domain.digest import Digest
from bot.domain.form_versions import FormHistory
from bot.domain.models import Area
from bot.i18n import Locale
from bot.usecases.digests import compile_area_digests
from storage.ledger import snapshot_at

log = logging.getLogger(__name__)

Made = TypeVar("Made")
"""What each digest is made into (the sends of one language: text and bytes)."""
Wanted = Mapping[tuple[int, Locale], Area]
"""The digests wanted: each area (by its id) in each language."""

CHILD_ARGS: tuple[str, ...] = ("-c", f"from {__name__} import main; main()")
"""How the child is started: the arguments to the Python interpreter running the bot (the
module imported by its name, so what it pickles names this module, not ``__main__``)."""
CHILD_TIMEOUT_S = 600.0
"""How long the child may take (a year of ten thousand grids takes a few seconds): past it,
the child is killed and the digests are compiled in the bot's process."""
_CODE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the ``bot`` package the bot runs: the child imports the same code."""


@dataclass(frozen=True)
class EveningJob:
    """What the child is given: everything but the database's contents, which it reads.
    ``make`` is pickled by name (a module's function), so the child imports it."""

    db: Path
    settings: Settings
    forms: FormHistory
    wanted: dict[tuple[int, Locale], Area]
    day: date
    now: datetime
    make: Callable[[Digest, Locale], object]


@dataclass(frozen=True)
class ChildFigures:
    """What the evening cost the child."""

    cpu_s: float
    """All its CPU: start, imports, opening the database, compiling, making, pickling."""
    ready_cpu_s: float
    """Its CPU before the compile: start, imports, reading the job, opening the database."""
    compile_cpu_s: float
    """The compile (:func:`compile_area_digests`)."""
    make_cpu_s: float
    """Making the digests into what is sent."""
    peak_rss: int
    """Its peak resident memory, in bytes."""


@dataclass(frozen=True)
class Evening(Generic[Made]):
    """What each wanted digest was made into, and what the child spent on them (None: they
    were compiled in the bot's own process, the child having failed)."""

    made: dict[tuple[int, Locale], Made]
    child: ChildFigures | None


class ChildFailed(Exception):
    """The child gave nothing (the reason is the message)."""


async def compile_evening_digests(
    deps: Dependencies, wanted: Wanted, day: date, make: Callable[[Digest, Locale], Made]
) -> Evening[Made]:
    """The digests of the ``wanted`` areas for ``day`` (the scheduled evening's), each made
    with ``make`` (a module's function) in each language wanted, in a child process; in the
    bot's process if the child fails (one warning line)."""
    job = EveningJob(
        deps.db.path.resolve(), deps.settings, deps.forms, dict(wanted), day, deps.now(), make
    )
    try:
        made, child = await _in_child(job)
    except ChildFailed as failure:
        log.warning(
            "the evening's digests were not compiled in a child process (%s): compiling them "
            "in the bot's process",
            failure,
        )
        return Evening(await _made(deps, job.wanted, day, make), None)
    log.info(
        "the evening's %d digests made in a child process: %.2f s of its CPU (the compile "
        "%.2f s, making them %.2f s), peak %.0f MB",
        len(made),
        child.cpu_s,
        child.compile_cpu_s,
        child.make_cpu_s,
        child.peak_rss / 1e6,
    )
    return Evening(made, child)


async def _made(
    deps: Dependencies, wanted: Wanted, day: date, make: Callable[[Digest, Locale], Made]
) -> dict[tuple[int, Locale], Made]:
    """Compile the wanted digests and make each (in a worker thread: the per-grid tables of
    ten thousand grids)."""
    digests = await _compiled(deps, wanted, day)
    return await asyncio.to_thread(_make_all, digests, wanted, make)


async def _compiled(deps: Dependencies, wanted: Wanted, day: date) -> dict[int, Digest]:
    """The digest of every wanted area, by area id."""
    areas = list({area.id: area for area in wanted.values()}.values())
    return await compile_area_digests(deps, areas, day)


def _make_all(
    digests: dict[int, Digest], wanted: Wanted, make: Callable[[Digest, Locale], Made]
) -> dict[tuple[int, Locale], Made]:
    return {(area, locale): make(digests[area], locale) for area, locale in wanted}


async def _in_child(job: EveningJob) -> tuple[dict[tuple[int, Locale], Any], ChildFigures]:
    """Start the child, give it ``job``, wait for it to end and read what it wrote."""
    given = _pickled(job)
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            *CHILD_ARGS,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": _python_path()},
        )
    except OSError as failure:
        raise ChildFailed(f"it could not be started: {failure}") from failure
    try:
        async with asyncio.timeout(CHILD_TIMEOUT_S):
            output, _ = await child.communicate(given)
    except TimeoutError:
        raise ChildFailed(f"no answer in {CHILD_TIMEOUT_S:.0f} s") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise ChildFailed(f"exit status {child.returncode}")
    return await asyncio.to_thread(_evening_from, output)


def _pickled(job: EveningJob) -> bytes:
    try:
        return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as failure:
        raise ChildFailed(f"its job cannot be pickled: {failure}") from failure


def _python_path() -> str:
    """The child's PYTHONPATH: the bot's code first, then whatever the bot was given."""
    given = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(_CODE_ROOT), given] if given else [str(_CODE_ROOT)])


def _evening_from(output: bytes) -> tuple[dict[tuple[int, Locale], Any], ChildFigures]:
    """The child's output read back: what it made, and its figures."""
    stream = io.BytesIO(output)
    try:
        made = pickle.load(stream)
        figures = pickle.load(stream)
    except Exception as failure:
        raise ChildFailed(f"its output could not be read: {failure!r}") from failure
    if not isinstance(figures, ChildFigures) or not isinstance(made, dict):
        raise ChildFailed("its output is not the evening's")
    return made, figures


def main() -> None:
    """The child: an :class:`EveningJob` pickled on standard input; what was made, then the
    :class:`ChildFigures`, pickled on standard output; exit status 1 (and the traceback
    logged) if anything fails. Anything else printed goes to standard error, the log."""
    gc.disable()  # a process that lives for one evening: reference counting frees enough
    output = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    job: EveningJob = pickle.load(sys.stdin.buffer)
    logs.configure(job.settings.log_level, job.settings.secrets())
    try:
        asyncio.run(_child(job, output))
    except Exception:
        log.exception("compiling the evening's digests in a child process failed")
        raise SystemExit(1) from None


async def _child(job: EveningJob, output: IO[bytes]) -> None:
    async with snapshot_at(job.db, job.forms) as view:
        deps = Dependencies(job.settings, view, ManualClock(job.now))
        ready = time.process_time()
        digests = await _compiled(deps, job.wanted, job.day)
    compiled = time.process_time()
    made = _make_all(digests, job.wanted, job.make)
    done = time.process_time()
    with output:
        pickle.dump(made, output, protocol=pickle.HIGHEST_PROTOCOL)
        figures = ChildFigures(
            time.process_time(), ready, compiled - ready, done - compiled, _peak_rss()
        )
        pickle.dump(figures, output, protocol=pickle.HIGHEST_PROTOCOL)


def _peak_rss() -> int:
    """This process's peak resident memory, in bytes: Linux's ``VmHWM``, which starts afresh
    with the program (``ru_maxrss`` keeps the bot's size at the moment it started the child)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
