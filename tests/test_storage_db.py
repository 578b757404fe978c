"""The database itself: migrations, pragmas, STRICT tables, transactions, meta, audit, groups."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from storage_fixtures import AT, audit_entries, open_db, sample_db

from bot.i18n import LOCALES
from storage.audit import AuditAction
from storage.db import Database, SchemaTooNewError, schema_version
from storage.health import DatabaseProblem


async def scalar(db: Database, sql: str) -> object:
    async with db.read() as conn, conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def test_fresh_database_is_migrated_and_reopening_changes_nothing(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    try:
        assert await scalar(db, "PRAGMA user_version") == schema_version() >= 1
        await db.meta.set("bot_username", "gridbot_demo_bot")
    finally:
        await db.close()
    async with await Database.open(db.path) as again:
        assert await scalar(again, "PRAGMA user_version") == schema_version()
        assert await again.meta.get("bot_username") == "gridbot_demo_bot"
        assert await again.meta.get("missing") is None


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(SchemaTooNewError) as caught:
        await Database.open(path)
    assert (caught.value.db_version, caught.value.code_version) == (999, schema_version())
    for locale in LOCALES:
        message = caught.value.render(locale)
        assert "GRIDBOT_DB" in message and "999" in message and "\n" not in message


async def test_an_sqlite_older_than_the_migrations_need_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python linked with SQLite 3.37 (Ubuntu 22.04's) cannot run migration 0010: the
    database is not touched, and the line names both versions and the fix."""
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 37, 2))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.37.2")
    path = tmp_path / "gridbot.sqlite3"
    with pytest.raises(DatabaseProblem) as caught:
        await Database.open(path)
    assert not path.exists()
    for locale in LOCALES:
        message = caught.value.render(locale)
        assert "3.38" in message and "3.37.2" in message and "\n" not in message


async def test_pragmas_and_strict_tables(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        assert await scalar(db, "PRAGMA journal_mode") == "wal"
        assert await scalar(db, "PRAGMA foreign_keys") == 1
        assert await scalar(db, "PRAGMA busy_timeout") == 5000
        async with db.read() as conn, conn.execute("PRAGMA table_list") as cursor:
            tables = [row for row in await cursor.fetchall() if row["schema"] == "main"]
        ours = [row for row in tables if not row["name"].startswith("sqlite_")]
        assert len(ours) >= 10
        assert all(row["strict"] == 1 for row in ours)


async def test_strict_types_foreign_keys_and_json_checks_are_enforced(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        bad = [
            "UPDATE grids SET households = 'many' WHERE id = 1",
            "UPDATE grids SET area_id = 999 WHERE id = 1",
            "INSERT INTO audit_log (at, action, details) VALUES ('2024-05-01T00:00:00+00:00',"
            " 'x', 'not json')",
            "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
            " VALUES (1, '2024-13-01', '2024-05-01T00:00:00+00:00', 1, 0)",
        ]
        for sql in bad:
            with pytest.raises(sqlite3.IntegrityError):
                async with db.transaction() as conn:
                    await conn.execute(sql)
        assert (await db.roster.grid(1)) is not None
        assert await scalar(db, "SELECT count(*) FROM audit_log") == 1


async def test_a_failed_transaction_leaves_nothing_and_savepoints_nest(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
                raise RuntimeError("boom")
        assert await db.meta.get("a") is None
        async with db.transaction():
            await db.meta.set("outer", "kept")
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    await db.meta.set("inner", "dropped")
                    raise RuntimeError("inner only")
        assert (await db.meta.get("outer"), await db.meta.get("inner")) == ("kept", None)


async def test_concurrent_tasks_do_not_share_a_transaction(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:

        async def failing() -> None:
            async with db.transaction():
                await db.meta.set("failing", "x")
                await asyncio.sleep(0.01)
                raise RuntimeError("rolled back")

        results = await asyncio.gather(
            failing(), *(db.meta.set(f"k{i}", str(i)) for i in range(5)), return_exceptions=True
        )
        assert isinstance(results[0], RuntimeError)
        assert await db.meta.get("failing") is None
        assert [await db.meta.get(f"k{i}") for i in range(5)] == ["0", "1", "2", "3", "4"]


async def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        with pytest.raises(ValueError, match="naive"):
            await db.audit.record(None, "test", {}, datetime(2024, 5, 1, 9, 0))


async def test_audit_entries_keep_json_details_and_aware_times(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        await db.audit.record(7, "export", {"rows": 3, "名": "王"}, AT)
        await db.audit.record(8, "export", {}, AT + timedelta(hours=1))
        await db.audit.record(7, "other", {}, AT + timedelta(hours=2))
        entries = await audit_entries(db)
        assert [entry.action for entry in entries] == ["export", "export", "other"]
        assert entries[0].at == AT and entries[0].at.tzinfo is not None
        assert entries[0].details == {"rows": 3, "名": "王"}
        assert len(await audit_entries(db, action="export")) == 2
        assert [e.actor for e in await audit_entries(db, actor=7)] == [7, 7]


async def test_group_binding_moves_a_chat(tmp_path: Path) -> None:
    async with await sample_db(tmp_path) as db:
        street = await db.roster.area_by_path("学院南路街道")
        community = await db.roster.area_by_path("学院南路街道/前进社区")
        assert street is not None and community is not None
        assert await db.groups.area_of_chat(-100) is None
        await db.groups.bind(-100, area_id=street.id, title="街道群", actor=1, at=AT)
        await db.groups.bind(-200, area_id=community.id, title="社区群", actor=1, at=AT)
        await db.groups.bind(-100, area_id=community.id, title="街道群", actor=1, at=AT)
        assert await db.groups.area_of_chat(-100) == community
        assert await db.groups.bindings() == [(-200, community), (-100, community)]
        assert len(await audit_entries(db, action=AuditAction.GROUP_BIND)) == 3
