"""The evening's digests and charts made in child processes, so the bot's own never builds
them.

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
caller's function, and writes those back pickled: text and bytes. The charts likewise
(matplotlib, about 50 MB, and each area's figures of the last two weeks): the 56 charts of
ten thousand grids took the bot from 46 to 142 MB, for good. Any use case can run this way
(:func:`in_child_process`): a module's function of the dependencies and a picklable value.
What a person asks for goes the same way: ``/chart`` and a ``/digest``'s chart always
(:func:`requested_chart`, :func:`requested_digest_chart`), a ``/digest`` of a big area
(:func:`requested_digest`).

A child that cannot be started, crashes, is killed, answers with something unreadable or not
within :data:`CHILD_TIMEOUT_S` costs a warning line: the work is then done in the bot's
process, as before. Cancelling the evening (the bot shutting down) kills the child and
whatever it started, and every child is waited for, so none is left behind. The child runs
in its own session, so a Ctrl-C meant for the bot never reaches it; if the bot dies, the
child ends when it tries to hand over its work.

The child is :func:`main`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import resource
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from bot import logs
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies
from bot.domain.chart import DIGEST_DAYS, ChartRequest
from bot.domain.digest import Digest
from bot.domain.form_versions import FormHistory
from bot.domain.models import Area
from bot.i18n import Locale
from bot.usecases.chart import ChartImage, draw_chart
from bot.usecases.digests import compile_area_digest, compile_area_digests
from storage.ledger import snapshot_at

log = logging.getLogger(__name__)

Made = TypeVar("Made")
"""What each digest is made into (the sends of one language: text and bytes)."""
Result = TypeVar("Result")
Wanted = Mapping[tuple[int, Locale], Area]
"""The digests (or charts) wanted: each area (by its id) in each language."""

CHILD_ARGS: tuple[str, ...] = ("-c", f"from {__name__} import main; main()")
"""How the child is started: the arguments to the Python interpreter running the bot (the
module imported by its name, so what it pickles names this module, not ``__main__``)."""
CHILD_TIMEOUT_S = 600.0
"""How long a child may take (the digests of a year of ten thousand grids take a few
seconds, their 56 charts a minute): past it, the child is killed and the work is done in the
bot's process."""
CHILD_DIGEST_GRIDS = 200
"""From this many grids up, ``/digest`` compiles and makes an area's digest in a child
process; below, in the bot's process, at once. At 200 grids the work costs the bot about
what starting a child does (0.3-0.5 s of CPU) and left it 23-29 MB bigger; at 10,000, 1.6 s
and 98 MB (README "Memory after the evening")."""
_CODE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the ``bot`` package the bot runs: the child imports the same code."""


@dataclass(frozen=True)
class ChildJob:
    """What a child is given: everything but the database's contents, which it reads.
    ``work`` is pickled by name (a module's function), so the child imports it."""

    db: Path
    settings: Settings
    forms: FormHistory
    now: datetime
    work: Callable[[Dependencies, Any], Awaitable[object]]
    given: object


@dataclass(frozen=True)
class ChildFigures:
    """What the work cost the child."""

    cpu_s: float
    """All its CPU: start, imports, opening the database, the work, pickling."""
    ready_cpu_s: float
    """Its CPU before the work: start, imports, reading the job, opening the database."""
    work_cpu_s: float
    """The work itself."""
    peak_rss: int
    """Its peak resident memory, in bytes."""


@dataclass(frozen=True)
class Done(Generic[Result]):
    """What the work gave, and what it cost the child (None: it was done in the bot's own
    process, the child having failed)."""

    result: Result
    child: ChildFigures | None


class ChildFailed(Exception):
    """The child gave nothing (the reason is the message)."""


async def compile_evening_digests(
    deps: Dependencies, wanted: Wanted, day: date, make: Callable[[Digest, Locale], Made]
) -> Done[dict[tuple[int, Locale], Made]]:
    """The digests of the ``wanted`` areas for ``day`` (the scheduled evening's), each made
    with ``make`` (a module's function) in each language wanted, in a child process."""
    return await in_child_process(deps, "the evening's digests", _digests, (wanted, day, make))


async def draw_evening_charts(
    deps: Dependencies, wanted: Wanted, day: date
) -> Done[dict[tuple[int, Locale], ChartImage | None]]:
    """The digest chart of each ``wanted`` area in each language (None: it could not be
    drawn, logged), in a child process."""
    return await in_child_process(deps, "the evening's charts", _charts, (wanted, day))


async def requested_chart(
    deps: Dependencies, request: ChartRequest, locale: Locale, *, highlight: date
) -> ChartImage:
    """A chart a person asked for (``/chart``), drawn in a child process: matplotlib never
    loads into the bot. Raises what :func:`draw_chart` raises."""
    done = await in_child_process(
        deps, "the charts asked for", _chart, (request, locale, highlight)
    )
    return done.result


async def requested_digest(
    deps: Dependencies,
    area: Area,
    day: date,
    locale: Locale,
    make: Callable[[Digest, Locale], Made],
) -> Made:
    """``area``'s digest for ``day`` (``/digest``), made with ``make`` in ``locale``: in the
    bot's process (the making in a worker thread) for an area of fewer than
    :data:`CHILD_DIGEST_GRIDS` grids, in a child process for a bigger one."""
    if await deps.db.roster.grid_count(area.path) < CHILD_DIGEST_GRIDS:
        digest = await compile_area_digest(deps, area, day)
        return await asyncio.to_thread(make, digest, locale)
    wanted = {(area.id, locale): area}
    done = await in_child_process(deps, "the digests asked for", _digests, (wanted, day, make))
    made: Made = done.result[area.id, locale]
    return made


async def requested_digest_chart(
    deps: Dependencies, area: Area, day: date, locale: Locale
) -> ChartImage | None:
    """:func:`digest_chart` for a digest someone asked for, drawn in a child process."""
    given = ({(area.id, locale): area}, day)
    done = await in_child_process(deps, "the charts asked for", _charts, given)
    return done.result[area.id, locale]


async def digest_chart(
    deps: Dependencies, area: Area, day: date, locale: Locale
) -> ChartImage | None:
    """A digest's chart: the area over the last reporting days up to ``day``, the day
    highlighted. None when it cannot be drawn (logged): the text never waits for it."""
    try:
        return await draw_chart(deps, ChartRequest(area, day, DIGEST_DAYS), locale, highlight=day)
    except Exception:
        log.exception("the chart of %s for %s could not be drawn", area.path, day)
        return None


async def in_child_process(
    deps: Dependencies,
    what: str,
    work: Callable[[Dependencies, Any], Awaitable[Result]],
    given: object,
) -> Done[Result]:
    """``work(deps, given)`` in a child process, on a read-only view of the database (``work``
    a module's function, ``given`` and the result picklable); in the bot's process if the
    child fails (one warning line naming ``what``)."""
    job = ChildJob(deps.db.path.resolve(), deps.settings, deps.forms, deps.now(), work, given)
    try:
        result, child = await _in_child(job)
    except ChildFailed as failure:
        log.warning("%s were not made in a child process (%s): making them here", what, failure)
        return Done(await work(deps, given), None)
    log.info(
        "%s made in a child process: %.2f s of its CPU (the work %.2f s), peak %.0f MB",
        what,
        child.cpu_s,
        child.work_cpu_s,
        child.peak_rss / 1e6,
    )
    return Done(result, child)


async def _digests(
    deps: Dependencies, given: tuple[Wanted, date, Callable[[Digest, Locale], Made]]
) -> dict[tuple[int, Locale], Made]:
    """Compile the wanted digests, then make each (in a worker thread: the per-grid tables of
    ten thousand grids)."""
    wanted, day, make = given
    areas = list({area.id: area for area in wanted.values()}.values())
    digests = await compile_area_digests(deps, areas, day)
    return await asyncio.to_thread(_make_all, digests, wanted, make)


def _make_all(
    digests: dict[int, Digest], wanted: Wanted, make: Callable[[Digest, Locale], Made]
) -> dict[tuple[int, Locale], Made]:
    return {(area, locale): make(digests[area], locale) for area, locale in wanted}


async def _charts(
    deps: Dependencies, given: tuple[Wanted, date]
) -> dict[tuple[int, Locale], ChartImage | None]:
    wanted, day = given
    return {
        (area.id, locale): await digest_chart(deps, area, day, locale)
        for (_, locale), area in wanted.items()
    }


async def _chart(deps: Dependencies, given: tuple[ChartRequest, Locale, date]) -> ChartImage:
    request, locale, highlight = given
    return await draw_chart(deps, request, locale, highlight=highlight)


async def _in_child(job: ChildJob) -> tuple[Any, ChildFigures]:
    """Start the child, give it ``job``, and read what it writes while it runs (in a worker
    thread, straight from the pipe: the answer is never held whole, whose megabytes would
    raise glibc's mmap threshold and keep that much heap untrimmed); wait for it to end."""
    given = _pickled(job)
    reading, writing = os.pipe()
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            *CHILD_ARGS,
            stdin=asyncio.subprocess.PIPE,
            stdout=writing,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": _python_path()},
        )
    except OSError as failure:
        os.close(reading)
        raise ChildFailed(f"it could not be started: {failure}") from failure
    finally:
        os.close(writing)
    answer = asyncio.get_running_loop().run_in_executor(None, _read_back, reading)
    try:
        async with asyncio.timeout(CHILD_TIMEOUT_S):
            await child.communicate(given)
    except TimeoutError:
        raise ChildFailed(f"no answer in {CHILD_TIMEOUT_S:.0f} s") from None
    finally:
        await _ended(child, answer)
    if child.returncode != 0:
        raise ChildFailed(f"exit status {child.returncode}")
    return answer.result()


async def _ended(child: asyncio.subprocess.Process, answer: asyncio.Future[Any]) -> None:
    """Kill the child and whatever it started, unless it has ended; wait for it and for the
    reading of its answer (which ends when nothing holds the pipe open any more)."""
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        await child.wait()
    await asyncio.wait({answer})
    if not answer.cancelled():
        answer.exception()  # retrieved: a failed child's is not logged as forgotten


def _pickled(job: ChildJob) -> bytes:
    try:
        return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as failure:
        raise ChildFailed(f"its job cannot be pickled: {failure}") from failure


def _python_path() -> str:
    """The child's PYTHONPATH: the bot's code first, then whatever the bot was given."""
    given = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(_CODE_ROOT), given] if given else [str(_CODE_ROOT)])


def _read_back(reading: int) -> tuple[Any, ChildFigures]:
    """The child's output, read from the pipe ``reading`` (closed here): what the work gave,
    and the child's figures."""
    with open(reading, "rb") as stream:
        try:
            result = pickle.load(stream)
            figures = pickle.load(stream)
        except Exception as failure:
            raise ChildFailed(f"its output could not be read: {failure!r}") from failure
    if not isinstance(figures, ChildFigures):
        raise ChildFailed("its output is not a child's")
    return result, figures


def main() -> None:
    """The child: a :class:`ChildJob` pickled on standard input; what the work gave, then the
    :class:`ChildFigures`, pickled on standard output; exit status 1 (and the traceback
    logged) if anything fails. Anything else printed goes to standard error, the log."""
    output = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    job: ChildJob = pickle.load(sys.stdin.buffer)
    logs.configure(job.settings.log_level, job.settings.secrets())
    try:
        asyncio.run(_child(job, output))
    except Exception:
        log.exception("work in a child process failed")
        raise SystemExit(1) from None


async def _child(job: ChildJob, output: IO[bytes]) -> None:
    async with snapshot_at(job.db, job.forms) as view:
        ready = time.process_time()
        result = await job.work(Dependencies(job.settings, view, ManualClock(job.now)), job.given)
        worked = time.process_time() - ready
    with output:
        pickle.dump(result, output, protocol=pickle.HIGHEST_PROTOCOL)
        figures = ChildFigures(time.process_time(), ready, worked, _peak_rss())
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
