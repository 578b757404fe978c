"""The form versions the bot has run with, with an in-memory copy of the whole history.

Every report is read with the form of its day, so the history is needed on most updates; it
is a handful of rows, loaded on open and after each change (like the admin grants).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.domain.form import Form, parse_form
from bot.domain.form_versions import FormHistory, FormVersion, form_hash
from storage.audit import write_entry
from storage.codec import from_db_day, to_db_day, to_db_time
from storage.rows import fetch_all, fetch_one

if TYPE_CHECKING:
    from storage.db import Database

APPLY = "form.apply"


class FiledOnOrAfterError(Exception):
    """A form cannot start on a day that already has reports (or after such a day)."""

    def __init__(self, day: date) -> None:
        super().__init__(day)
        self.day = day


class FormRepo:
    """Register form versions; answer "which form was in force on day D" from memory."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._history: FormHistory | None = None

    async def load(self) -> None:
        """Refresh the in-memory history from the database (on open and after changes)."""
        async with self._db.read() as conn:
            rows = await fetch_all(conn, "SELECT * FROM form_versions ORDER BY version")
        versions = [_version(row) for row in rows]
        self._history = FormHistory(tuple(versions)) if versions else None

    def keep(self, history: FormHistory) -> None:
        """Take ``history`` as read elsewhere (a read-only view in another process is given
        the bot's own: :func:`storage.ledger.snapshot_at`)."""
        self._history = history

    @property
    def registered(self) -> bool:
        """Whether any form has been registered yet (a brand-new database has none)."""
        return self._history is not None

    @property
    def history(self) -> FormHistory:
        """Every registered version; RuntimeError before the first one is registered."""
        if self._history is None:
            raise RuntimeError("no form registered yet: call register() at start-up")
        return self._history

    async def register(
        self, text: str, form: Form, *, since: date | None, at: datetime, actor: int | None
    ) -> FormVersion:
        """Make ``form`` (parsed from ``text``) the form from ``since`` on.

        The first version is in force from the beginning whatever ``since`` says, and the
        report versions filed before forms were recorded are marked as filed under it. A
        later version replaces any version that would only have started on or after
        ``since`` (it was never used: no report is filed on a future day). Raises
        :class:`FiledOnOrAfterError` when reports already exist on or after ``since``.
        """
        async with self._db.transaction() as conn:
            first = await fetch_one(conn, "SELECT 1 FROM form_versions") is None
            start = None if first else since
            if start is not None:
                await _refuse_filed(conn, start)
                await conn.execute(
                    "DELETE FROM form_versions WHERE since >= ?", (to_db_day(start),)
                )
            row = await fetch_one(
                conn,
                "INSERT INTO form_versions (version, since, hash, text, created_at)"
                " SELECT coalesce(max(version), 0) + 1, ?, ?, ?, ? FROM form_versions"
                " RETURNING version",
                (
                    None if start is None else to_db_day(start),
                    form_hash(text),
                    text,
                    to_db_time(at),
                ),
            )
            assert row is not None
            number = int(row["version"])
            if first:
                await conn.execute(
                    "UPDATE report_versions SET form_version = 1 WHERE form_version IS NULL"
                )
            details = {"version": number, "since": None if start is None else start.isoformat()}
            await write_entry(conn, actor, APPLY, details, at)
        await self.load()
        if self._db.figures.attached:
            await self._db.figures.attach(self.history)
        return FormVersion(number, form, text, form_hash(text), start)


async def _refuse_filed(conn: aiosqlite.Connection, since: date) -> None:
    row = await fetch_one(
        conn, "SELECT min(day) AS day FROM reports WHERE day >= ?", (to_db_day(since),)
    )
    if row is not None and row["day"] is not None:
        raise FiledOnOrAfterError(from_db_day(row["day"]))


def _version(row: aiosqlite.Row) -> FormVersion:
    number = int(row["version"])
    since = None if row["since"] is None else from_db_day(row["since"])
    form = parse_form(row["text"], f"form version {number}")
    return FormVersion(number, form, row["text"], row["hash"], since)
