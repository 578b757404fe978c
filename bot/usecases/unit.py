"""The unit of work: one transaction around everything a use case reads and writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.dependencies import Dependencies
from storage.db import Database


@asynccontextmanager
async def unit_of_work(deps: Dependencies) -> AsyncIterator[Database]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` if the block raises).

    Repository calls inside the block join the transaction (they become savepoints), so the
    reads that decide a write and the write itself see one state of the database, and a
    failure half-way leaves nothing behind.
    """
    async with deps.db.transaction():
        yield deps.db
