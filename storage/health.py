"""Is the database file usable? Checked before the bot opens it, so that a wrong
``GRIDBOT_DB`` (a folder, a missing or read-only folder, a file that is not SQLite, a damaged
one) stops start-up with one line saying what to fix, never a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.i18n import Locale, t

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
MIN_SQLITE = (3, 38, 0)
"""The oldest SQLite the migrations run on (0010 takes JSON tokens with the ``->`` operator)."""


class DatabaseProblem(Exception):
    """The database cannot be used; :meth:`render` says why and what to do."""

    def __init__(self, reason: str, path: Path, detail: object = "") -> None:
        super().__init__(reason, path, detail)
        self.reason = reason
        self.path = path
        self.detail = detail

    def render(self, locale: Locale) -> str:
        """One line for the operator: what is wrong with which file, and the fix."""
        return t(locale, f"reliability.db.{self.reason}", path=self.path, detail=self.detail)

    def __str__(self) -> str:
        return self.render("en")


class WriteRefused(DatabaseProblem):
    """The disk refused a write while the bot runs (full, or the database became read-only):
    the transaction was rolled back, nothing of it is stored, and the connection stays usable,
    so the next write succeeds once space (or write access) returns.

    ``spell`` numbers the spells of refusals since the database was opened: a new spell starts
    with the first refusal after a write succeeded, so whoever tells the admins can tell them
    once per spell."""

    def __init__(self, problem: DatabaseProblem, spell: int) -> None:
        super().__init__(problem.reason, problem.path, problem.detail)
        self.spell = spell


WRITE_REFUSALS = frozenset({"disk_full", "file_not_writable"})
"""What :func:`classify` calls the failures that are the disk's, not the data's: they pass."""


def probe(path: Path, *, full: bool = False) -> None:
    """Raise :class:`DatabaseProblem` unless ``path`` is (or can become) a readable, writable
    SQLite database; ``full`` also reads every page (``PRAGMA quick_check``)."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise DatabaseProblem("sqlite_too_old", path, sqlite3.sqlite_version)
    if path.is_dir():
        raise DatabaseProblem("is_directory", path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as failure:
        raise _folder_problem(failure, folder, path) from None
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        raise DatabaseProblem("file_not_writable", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseProblem("folder_not_writable", path, folder)
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseProblem("file_not_writable", path)
    try:
        _read(path, full=full)
    except sqlite3.DatabaseError as failure:
        raise classify(failure, path) from None


LOW_DISK_BYTES = 64 * 1024 * 1024
"""Less free space than this (or than twice the database, which a backup copies) next to the
database is flagged by ``gridbot doctor`` before the disk fills."""


@dataclass(frozen=True, slots=True)
class DiskRoom:
    """Free space on the database's disk, and whether it is running out."""

    free: int
    low: bool


def disk_room(path: Path) -> DiskRoom:
    """How much room the disk holding the database ``path`` has left."""
    free = shutil.disk_usage(path.parent).free
    size = sum(
        part.stat().st_size for part in (path, path.with_name(path.name + "-wal")) if part.exists()
    )
    return DiskRoom(free, free < max(LOW_DISK_BYTES, 2 * size))


def _read(path: Path, *, full: bool) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        if full:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                raise DatabaseProblem("damaged", path, "; ".join(str(row[0]) for row in rows[:3]))
    finally:
        conn.close()


def _folder_problem(failure: OSError, folder: Path, path: Path) -> DatabaseProblem:
    if failure.errno in DISK_FULL_ERRNOS:
        return DatabaseProblem("disk_full", path)
    if isinstance(failure, (FileExistsError, NotADirectoryError)):
        return DatabaseProblem("folder_is_file", path, folder)
    if isinstance(failure, FileNotFoundError):
        return DatabaseProblem("folder_missing", path, folder)
    return DatabaseProblem("folder_not_writable", path, folder)


def classify(failure: sqlite3.DatabaseError, path: Path) -> DatabaseProblem:
    """What an SQLite error says about the file."""
    message = str(failure).lower()
    if "full" in message:
        return DatabaseProblem("disk_full", path)
    if "readonly" in message or "read-only" in message:
        return DatabaseProblem("file_not_writable", path)
    if "unable to open" in message:
        return DatabaseProblem("cannot_open", path, failure)
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return DatabaseProblem("damaged", path, failure)
    return DatabaseProblem("failed", path, failure)
