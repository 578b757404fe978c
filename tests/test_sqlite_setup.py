"""SQLite keeps no process-wide memory statistics once gridbot's storage is imported (one
mutex every allocation of every connection took: see :mod:`storage.sqlite_setup`), and is
left as it was, still working, when a connection was already open. Each case runs in a
fresh interpreter: SQLite's configuration is the process's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MEMORY_USED = """
import ctypes, importlib
library = ctypes.CDLL(importlib.import_module("_sqlite3").__file__)
library.sqlite3_memory_used.restype = ctypes.c_int64
"""


def run(code: str, tmp_path: Path) -> list[str]:
    script = MEMORY_USED + code
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "t.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="turned off on Linux only")


def test_storage_turns_the_statistics_off_before_any_connection(tmp_path: Path) -> None:
    code = """
import sqlite3, sys
import storage
from storage.sqlite_setup import keep_no_memory_statistics
conn = sqlite3.connect(sys.argv[1])
conn.execute("CREATE TABLE t (x)")
conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
conn.commit()
print(keep_no_memory_statistics(), library.sqlite3_memory_used(),
      conn.execute("SELECT sum(x) FROM t").fetchone()[0])
"""
    assert run(code, tmp_path) == ["True", "0", "499500"]


def test_an_open_connection_keeps_them_on_and_working(tmp_path: Path) -> None:
    code = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
import storage
from storage.sqlite_setup import keep_no_memory_statistics
conn.execute("CREATE TABLE t (x)")
conn.execute("INSERT INTO t VALUES (42)")
print(keep_no_memory_statistics(), library.sqlite3_memory_used() > 0,
      conn.execute("SELECT x FROM t").fetchone()[0])
"""
    assert run(code, tmp_path) == ["False", "True", "42"]
