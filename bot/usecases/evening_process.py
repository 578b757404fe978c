"""The evening's digests compiled in a child process, so the bot's own never builds them.

Compiling every area's digest of ten thousand grids makes hundreds of thousands of short-lived
objects; freed, they leave the process's allocators fragmented, pinned by the few objects that
outlive the evening, and the bot stayed about 90 MB above its idle size. A fresh interpreter
(started and exec'd like multiprocessing's "spawn", never a fork of the running bot with its
threads) opens the database read-only at the same path, is given the settings, the form
versions, the areas and the day, compiles them with the same code the bot runs in-process
(:func:`bot.usecases.digests.compile_area_digests`) and writes the digests back pickled; the
bot unpickles them in a worker thread.

A child that cannot be started, crashes, is killed, answers with something unreadable or not
within :data:`CHILD_TIMEOUT_S` costs a warning line: the digests are then compiled in the
bot's process, as before. Cancelling the evening (the bot shutting down) kills the child,
and every child is waited for, so none is left behind. The child runs in its own session,
so a Ctrl-C meant for the bot never reaches it; if the bot dies, the child ends when it
tries to hand over the digests.

The child is :func:`main`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import io
import logging
import os
import pickle
import resource
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import IO, Any

from bot import logs
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies
from bot.domain.digest import Digest
from bot.domain.form_versions import FormHistory
from bot.domain.models import Area
from bot.usecases.digests import collection_paused, compile_area_digests
from storage.ledger import snapshot_at

log = logging.getLogger(__name__)

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
    """What the child is given: everything but the database's contents, which it reads."""

    db: Path
    settings: Settings
    forms: FormHistory
    areas: tuple[Area, ...]
    day: date
    now: datetime


@dataclass(frozen=True)
class ChildFigures:
    """What the evening cost the child."""

    cpu_s: float
    """All its CPU: start, imports, opening the database, compiling, pickling."""
    ready_cpu_s: float
    """Its CPU before the compile: start, imports, reading the job, opening the database."""
    compile_cpu_s: float
    """The CPU of the compile alone (:func:`compile_area_digests`)."""
    peak_rss: int
    """Its peak resident memory, in bytes."""


@dataclass(frozen=True)
class Evening:
    """The evening's digests by area id, and what they cost the child (None: they were
    compiled in the bot's own process, the child having failed)."""

    digests: dict[int, Digest]
    child: ChildFigures | None


class ChildFailed(Exception):
    """The child gave no digests (the reason is the message)."""


async def compile_evening_digests(deps: Dependencies, areas: Sequence[Area], day: date) -> Evening:
    """The digests of ``areas`` for ``day`` (the scheduled evening's), compiled in a child
    process; in the bot's process if the child fails (one warning line)."""
    job = EveningJob(
        deps.db.path.resolve(), deps.settings, deps.forms, tuple(areas), day, deps.now()
    )
    try:
        evening = await _in_child(job)
    except ChildFailed as failure:
        log.warning(
            "the evening's digests were not compiled in a child process (%s): compiling them "
            "in the bot's process",
            failure,
        )
        return Evening(await compile_area_digests(deps, areas, day), None)
    if evening.child is not None:
        log.info(
            "the digests of %d areas compiled in a child process: %.2f s of its CPU (the "
            "compile %.2f s), peak %.0f MB",
            len(evening.digests),
            evening.child.cpu_s,
            evening.child.compile_cpu_s,
            evening.child.peak_rss / 1e6,
        )
    return evening


async def _in_child(job: EveningJob) -> Evening:
    """Start the child, give it ``job``, wait for it to end and read what it wrote."""
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
            output, _ = await child.communicate(pickle.dumps(job))
    except TimeoutError:
        raise ChildFailed(f"no answer in {CHILD_TIMEOUT_S:.0f} s") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise ChildFailed(f"exit status {child.returncode}")
    return await asyncio.to_thread(_evening_from, output)


def _python_path() -> str:
    """The child's PYTHONPATH: the bot's code first, then whatever the bot was given."""
    given = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(_CODE_ROOT), given] if given else [str(_CODE_ROOT)])


def _evening_from(output: bytes) -> Evening:
    """The child's output read back (in a worker thread: the unpickling runs Python code for
    each object, so the event loop gets its turns meanwhile)."""
    stream = io.BytesIO(output)
    try:
        with collection_paused():
            digests = pickle.load(stream)
        figures = pickle.load(stream)
    except Exception as failure:
        raise ChildFailed(f"its output could not be read: {failure!r}") from failure
    if not isinstance(figures, ChildFigures) or not isinstance(digests, dict):
        raise ChildFailed("its output is not digests")
    return Evening(digests, figures)


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


class _Pickler(pickle.Pickler):
    """Pickles frozen dataclasses with slots (most of the domain's) as their class and field
    values, rebuilt by :func:`_rebuilt`: their own ``__setstate__`` is Python code that lists
    the class's fields again for every object, and took most of the time (1.5 s to unpickle
    the digests of ten thousand grids; 0.45 s this way)."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if "__slots__" not in kind.__dict__ or not dataclasses.is_dataclass(kind):
            return NotImplemented
        return _rebuilt, (kind, tuple([getattr(obj, name) for name in _field_names(kind)]))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


def _rebuilt(kind: type, values: tuple[object, ...]) -> object:
    """An instance of the dataclass ``kind`` with these field values, set as its own
    ``__setstate__`` sets them (``object.__setattr__``, which a frozen one allows), the loop
    in C."""
    made: object = object.__new__(kind)
    deque(map(object.__setattr__, repeat(made), _field_names(kind), values), maxlen=0)
    return made


def main() -> None:
    """The child: an :class:`EveningJob` pickled on standard input; the digests, then the
    :class:`ChildFigures`, pickled on standard output; exit status 1 (and the traceback
    logged) if anything fails. Anything else printed goes to standard error, the log."""
    gc.disable()  # a process that lives for one compile: reference counting frees enough
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
        digests = await compile_area_digests(deps, job.areas, job.day)
        compiled = time.process_time() - ready
    with output:
        _Pickler(output, protocol=pickle.HIGHEST_PROTOCOL).dump(digests)
        figures = ChildFigures(time.process_time(), ready, compiled, _peak_rss())
        pickle.dump(figures, output, protocol=pickle.HIGHEST_PROTOCOL)
