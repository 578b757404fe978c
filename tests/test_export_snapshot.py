"""An export reads on several connections at once (:func:`storage.ledger_export.open_snapshot`),
all on one snapshot of the database: what the bot commits meanwhile is seen by none of them,
even a commit that lands between their beginnings."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage.ledger_export import open_snapshot


def database(path: Path) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY)")
    writer.execute("INSERT INTO reports DEFAULT VALUES")
    return writer


def counts(conns: list[sqlite3.Connection]) -> list[int]:
    return [conn.execute("SELECT count(*) FROM reports").fetchone()[0] for conn in conns]


def test_connections_share_one_snapshot_while_the_bot_writes(tmp_path: Path) -> None:
    writer = database(tmp_path / "bot.sqlite3")
    with open_snapshot(tmp_path / "bot.sqlite3", 2) as conns:
        writer.execute("INSERT INTO reports DEFAULT VALUES")
        assert len(conns) == 2
        assert counts(conns) == [1, 1]
    writer.close()


@pytest.mark.parametrize(("commits", "together", "begins"), [(2, 2, 3), (1000, 1, 21)])
def test_a_commit_between_their_beginnings_makes_them_begin_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commits: int, together: int, begins: int
) -> None:
    """``commits``: how many times the bot commits as the first connection begins; past 20
    tries the export reads on the first connection alone."""
    path = tmp_path / "bot.sqlite3"
    writer = database(path)
    statements: list[str] = []
    left = commits

    def tracing(statement: str) -> None:
        nonlocal left
        statements.append(statement)
        if statement == "BEGIN" and left:
            left -= 1
            writer.execute("INSERT INTO reports DEFAULT VALUES")

    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = connect(*args, **kwargs)
        if not opened:
            conn.set_trace_callback(tracing)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    with open_snapshot(path, 2) as conns:
        opened[0].set_trace_callback(None)
        assert len(conns) == together
        assert counts(conns) == [min(commits, begins) + 1] * together
    writer.close()
    assert statements.count("BEGIN") == begins
