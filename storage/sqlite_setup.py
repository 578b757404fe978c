"""SQLite without its process-wide memory statistics.

By default SQLite counts every allocation it makes (``sqlite3_memory_used``), under one
mutex for the whole process. Debian's build, which Python's :mod:`sqlite3` uses here, also
leaves out the per-connection lookaside allocator, so every small value a query makes is
such an allocation: the ledger export's two reader threads, each on its own connection,
took turns at that one mutex (a year's XLSX of 1,000 grids: 15.6 s of CPU with it, 11.4
s without; ``bench/``). SQLite's documentation recommends turning the statistics off where
nothing reads them, and nothing here does (no soft heap limit, no ``sqlite3_status``).

Python's :mod:`sqlite3` has no call for ``sqlite3_config``, which only works while SQLite
is shut down: so it is called through :mod:`ctypes` on the very library the ``_sqlite3``
module uses, once, before any connection is open. That SQLite holds no memory at all
(``sqlite3_memory_used() == 0``) is the proof that no connection is open; otherwise, or
where the library or its functions cannot be found, or off Linux (where calling a
C function of variable arguments through ctypes is not safe on every machine), nothing is
done and SQLite keeps its statistics: the same results, a little slower.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import sys

_SQLITE_CONFIG_MEMSTATUS = 9
_SQLITE_OK = 0


@functools.cache
def keep_no_memory_statistics() -> bool:
    """Turn SQLite's memory statistics off for this process if it can be done safely (see
    the module's docstring); whether they are off. Only the first call does anything."""
    if sys.platform != "linux":
        return False
    try:
        library = ctypes.CDLL(importlib.import_module("_sqlite3").__file__)
        memory_used, shutdown = library.sqlite3_memory_used, library.sqlite3_shutdown
        config, initialize = library.sqlite3_config, library.sqlite3_initialize
    except (OSError, AttributeError, TypeError):
        return False
    memory_used.restype = ctypes.c_int64
    if memory_used() != 0 or shutdown() != _SQLITE_OK:
        return False
    turned_off: bool = config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == _SQLITE_OK
    started: bool = initialize() == _SQLITE_OK
    return turned_off and started
