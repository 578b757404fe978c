"""Items made in worker threads, a few ahead of the one who takes them.

An export reads days from the database while the days before are written: SQLite lets go of
Python's lock while it steps a query, so reading and writing go on side by side on the
machine's cores.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from queue import Empty, Queue
from typing import Generic, TypeVar, cast

T = TypeVar("T")
_POLL_S = 0.05
"""How often a caller that has stopped taking items checks that a worker has ended."""


@dataclass(frozen=True, slots=True)
class _Made(Generic[T]):
    """What a worker passes on: an item, the error that ended it, or its end (neither)."""

    item: T | None = None
    error: BaseException | None = None
    last: bool = False


@contextmanager
def made_ahead(works: Sequence[Iterable[T]], depth: int) -> Iterator[Iterator[T]]:
    """The items of ``works``, each work's made in its own worker thread at most ``depth``
    ahead of the caller, taken in turn (the first of each work, then the second of each…)
    until a work ends: a work is never shorter than the ones after it. An error raised
    making an item is raised where it would have been taken. On leaving the block every
    worker is stopped (after the item it is making) and waited for."""
    with ExitStack() as stack:
        taken = [stack.enter_context(_worker(work, depth)) for work in works]
        yield _in_turn(taken)


def _in_turn(iterators: list[Iterator[T]]) -> Iterator[T]:
    while True:
        for iterator in iterators:
            item = next(iterator, _END)
            if item is _END:
                return
            yield cast(T, item)


_END = object()


@contextmanager
def _worker(items: Iterable[T], depth: int) -> Iterator[Iterator[T]]:
    """``items`` made in a worker thread (see :func:`made_ahead`)."""
    made: Queue[_Made[T]] = Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                made.put(_Made(item))
        except BaseException as error:  # raised again in the caller's thread
            made.put(_Made(error=error))
            return
        made.put(_Made(last=True))

    def taken() -> Iterator[T]:
        while not (next_one := made.get()).last:
            if next_one.error is not None:
                raise next_one.error
            yield cast(T, next_one.item)

    worker = threading.Thread(target=work, name="made-ahead", daemon=True)
    worker.start()
    try:
        yield taken()
    finally:
        stop.set()
        while worker.is_alive():  # make room for what it is putting, so that it sees the stop
            with suppress(Empty):
                made.get(timeout=_POLL_S)
        worker.join()
