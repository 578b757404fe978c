"""Automatic daily backups (``GRIDBOT_BACKUP_DIR``): a consistent copy of the live database,
checked with ``PRAGMA integrity_check`` before it counts, the oldest beyond
``GRIDBOT_BACKUP_KEEP`` removed. The scheduler runs it every night at 03:00."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.dependencies import Dependencies
from bot.usecases.errors import UseCaseError
from storage.backup import BackupFile, BadBackupError, backup, check_backup

PATTERN = "gridbot-daily-*.sqlite3"


@dataclass(frozen=True, slots=True)
class DailyBackup:
    """The backup written (and checked), and the old ones removed."""

    file: BackupFile
    removed: tuple[Path, ...]


class BackupFailed(UseCaseError):
    """The nightly backup could not be written or did not pass its check."""

    def __init__(self, reason: object) -> None:
        super().__init__("reliability.backup_failed", reason=str(reason))


async def daily_backup(deps: Dependencies) -> DailyBackup:
    """Back up into ``GRIDBOT_BACKUP_DIR``, check the copy, keep the newest
    ``GRIDBOT_BACKUP_KEEP``. Raises :class:`BackupFailed` (a copy that fails the check is
    removed)."""
    try:
        return await _daily_backup(deps)
    except (OSError, sqlite3.Error, BadBackupError) as failure:
        raise BackupFailed(failure) from None


async def _daily_backup(deps: Dependencies) -> DailyBackup:
    folder = deps.settings.backup_dir
    if folder is None:
        raise ValueError("GRIDBOT_BACKUP_DIR is not set")
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    target = folder / PATTERN.replace("*", f"{deps.now():%Y%m%d-%H%M%S}")
    made = await backup(deps.settings.db, target)
    try:
        await asyncio.to_thread(check_backup, made.path)
    except BaseException:
        made.path.unlink(missing_ok=True)
        raise
    return DailyBackup(made, await asyncio.to_thread(_prune, folder, deps.settings.backup_keep))


def _prune(folder: Path, keep: int) -> tuple[Path, ...]:
    """Remove all but the newest ``keep`` daily backups (their names sort by time)."""
    old = sorted(folder.glob(PATTERN), reverse=True)[keep:]
    for path in old:
        path.unlink()
    return tuple(old)
