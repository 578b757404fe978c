"""Backups with SQLite's online backup API, and restoring one.

A backup reads the live database on a connection of its own, in one step inside one read
transaction: it is a consistent copy of one moment, and the bot keeps writing meanwhile
(WAL mode). The copy is written next to its destination and renamed into place, so a
failed backup never leaves a half-written file under the name asked for.

A restore overwrites a database only when nobody has it open: the database is locked
exclusively for the whole restore, which fails at once while the bot (or anything else)
has it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.i18n import Locale, t
from storage.db import migrations
from storage.ledger import read_only_uri


class DatabaseInUseError(Exception):
    """The database is open elsewhere (the bot is running): it cannot be overwritten."""


class BadBackupError(Exception):
    """The file is not a gridbot backup that this version can use."""

    def __init__(self, reason: str, path: Path, detail: object = "") -> None:
        super().__init__(reason, path, detail)
        self.reason = reason
        self.path = path
        self.detail = detail

    def render(self, locale: Locale) -> str:
        """Why, in one line."""
        key = f"export.cli.bad_backup.{self.reason}"
        return t(locale, key, path=self.path, detail=self.detail)


@dataclass(frozen=True, slots=True)
class BackupFile:
    """A backup written: where, how big, and the schema version it holds."""

    path: Path
    size: int
    schema_version: int


async def backup(source: Path, target: Path) -> BackupFile:
    """Copy the live database at ``source`` to ``target`` (replacing any file there); when
    ``target`` is a folder, to a file in it named after the time."""
    return await asyncio.to_thread(_backup, source, target)


def _backup(source: Path, target: Path) -> BackupFile:
    if target.is_dir():
        target = target / f"gridbot-backup-{_stamp()}.sqlite3"
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = _open_read_only(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, target)
    return BackupFile(target, target.stat().st_size, version)


def check_backup(path: Path) -> int:
    """The schema version of a usable backup; BadBackupError for anything else."""
    if path.is_dir():
        raise BadBackupError("folder", path)
    if not path.is_file():
        raise BadBackupError("missing", path)
    try:
        conn = _open_read_only(path)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BadBackupError("unreadable", path, error) from None
    if integrity != "ok":
        raise BadBackupError("damaged", path, integrity)
    if version < 1 or "reports" not in tables:
        raise BadBackupError("not_gridbot", path)
    if version > len(migrations()):
        raise BadBackupError("too_new", path, version)
    return version


async def restore(backup_path: Path, target: Path) -> Path | None:
    """Overwrite the database at ``target`` with a backup; returns where the database that
    was there has been saved (None if there was none).

    Raises BadBackupError for an unusable backup and DatabaseInUseError while ``target`` is
    open elsewhere; in both cases nothing is changed.
    """
    return await asyncio.to_thread(_restore, backup_path, target)


def _restore(backup_path: Path, target: Path) -> Path | None:
    check_backup(backup_path)
    existed = target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(_lock_exclusively(target)) as dst:
        saved = None
        if existed:
            saved = target.with_name(f"{target.name}.before-restore-{_stamp()}")
            _copy(dst, saved)
        src = _open_read_only(backup_path)
        try:
            src.backup(dst)
        finally:
            src.close()
    return saved


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(str(path.resolve())), uri=True)


def _stamp() -> str:
    """The local time, for file names: ``20261122-160501``."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _lock_exclusively(path: Path) -> sqlite3.Connection:
    """A connection holding ``path`` locked against every other, or DatabaseInUseError.

    In WAL mode every open connection keeps a shared lock, even an idle one, so an
    exclusive lock is refused as long as the bot has the database open.
    """
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("COMMIT")
    except sqlite3.OperationalError:
        conn.close()
        raise DatabaseInUseError(str(path)) from None
    return conn


def _copy(src: sqlite3.Connection, target: Path) -> None:
    target.unlink(missing_ok=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
