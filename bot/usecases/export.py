"""Getting data out: the ledger (台账) as a file, and a copy of the whole database.

Both read while the bot keeps writing (a snapshot; SQLite's online backup), so neither
waits for the bot nor holds it up.
"""

from __future__ import annotations

from pathlib import Path

from bot.dependencies import Dependencies
from bot.ledger_file import LedgerFile, LedgerRequest, write_ledger
from storage.backup import BackupFile, backup


async def export_ledger(deps: Dependencies, request: LedgerRequest, target: Path) -> LedgerFile:
    """Write the ledger of ``request`` (days, area, format, language) to ``target``."""
    return await write_ledger(deps, request, target)


async def backup_database(deps: Dependencies, target: Path) -> BackupFile:
    """A consistent copy of the live database at ``target``."""
    return await backup(deps.db.path, target)
