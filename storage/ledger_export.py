"""The ledger's rows straight from the database, for exports (:mod:`bot.ledger_file`).

A ledger of a year of a thousand grids is 365,000 rows of 27 cells. Building each row in
Python (a report object per grid-day, a JSON decode per version, a type check per cell) costs
about 80 µs a row; here SQLite does that work: one query per day joins the grids in scope
with that day's reports, their current versions and running figures (each stock's closing,
kept by :mod:`storage.figures`), excusals and reminders, and *spells* each row as the writer
would (:class:`bot.xlsx.RowSpelling`: an XLSX ``<row>``'s cells or a CSV line), so Python
only passes whole rows on. Versions and figures are read from the compact copy triggers keep
of them (``ledger_reports``, ``ledger_figures``: migration 0008): small JSON arrays by field
position instead of JSON objects, each report's current version without a lookup, a day's
figures on a few pages; a field whose answers never held text (marked by migration 0009) is
spelled as a number with one ``json_extract`` and no test of its type. Free text goes
through the writer's own escaping (registered as the SQL function ``cell_text_N``; names are
spelled once per export), so the safety rules of both formats are those of the writers.

The rows of a day's piece of the grids (a range of their positions in scope) come back
joined in one text, as UTF-8 bytes (one step of the query, which SQLite runs without
Python's lock), so several days can be read at once on read-only connections that share one
read transaction's snapshot (:func:`open_snapshot`), each in a worker thread: the event loop
never waits for an export. Memory follows the number of grids (a few days' rows, in pieces
small enough never to need blocks of their own: see :data:`bot.ledger_file.PIECE_BYTES`),
never the range.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import count
from pathlib import Path

from bot.domain.ledger import Scope
from bot.domain.ledger_tables import IncidentRecord, ReportColumns
from bot.domain.models import Area, Report
from bot.domain.status import GridDayKind
from bot.xlsx import RowSpelling
from storage.codec import from_db_time, from_json, to_db_day, to_db_time
from storage.db import BUSY_TIMEOUT_MS
from storage.ledger import SCOPE_GRIDS, read_only_uri, scope_of
from storage.reports import assemble_reports
from storage.rows import area_from_row
from storage.schedule import REMINDER_SENT

_EXCEL_DAY_0 = date(1899, 12, 30)
_EXCEL_EPOCH_UNIX_DAYS = 25569
"""Days from Excel's day 0 (1899-12-30) to 1970-01-01."""
_tables = count(1)
_CACHE_KB_PER_GRID, _CACHE_KB_MIN, _CACHE_KB_MAX = 6, 2048, 65536
"""The snapshot's page cache, by the grids in scope: enough for the pages a day's lookups
touch (each grid's entry in the reports' (grid, day) index is on its own page) to be there
for the next day's; SQLite's default of 2 MB makes a thousand grids read them again every
day. Bounded, so memory stays flat however long the range."""


@contextmanager
def open_snapshot(path: Path, connections: int = 1) -> Iterator[list[sqlite3.Connection]]:
    """Read-only connections to the database at ``path`` (``connections``, or one if the
    bot's writes keep coming between them), each inside a read transaction on one snapshot:
    every query on any of them sees the database as it was when they began, while the bot
    keeps writing. Each may be used by another thread than the one that opened it, by one
    thread at a time."""
    with ExitStack() as stack:
        opened = [stack.enter_context(_read_only(path)) for _ in range(connections)]
        yield _begin_together(opened)


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(
        read_only_uri(str(path.resolve())), uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        yield conn
    finally:
        conn.close()


def _begin_together(conns: list[sqlite3.Connection]) -> list[sqlite3.Connection]:
    """Begin a read transaction on each of ``conns``, all on one snapshot, and return them:
    a read fixes each one's snapshot, and the last one's data version, read before the first
    began and again as it begins, says no commit came in between. After
    :data:`_TOGETHER_TRIES` tries with commits in between, only the first one is returned."""
    probe = conns[-1]
    for _ in range(_TOGETHER_TRIES):
        before = _data_version(probe)
        for conn in conns:
            conn.execute("BEGIN")
            after = _data_version(conn)
        if after == before or len(conns) == 1:
            return conns
        for conn in conns:
            conn.execute("ROLLBACK")
    conns[0].execute("BEGIN")
    _data_version(conns[0])
    return conns[:1]


def _data_version(conn: sqlite3.Connection) -> int:
    """The connection's data version; read inside a transaction, it fixes its snapshot."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


_TOGETHER_TRIES = 20
"""Tries at beginning several read transactions on one snapshot (a try takes a millisecond
or so; the bot commits a few dozen times a second at most)."""


def read_scope(
    conn: sqlite3.Connection, area: Area | None, tz: tzinfo, report_days: frozenset[int]
) -> Scope:
    """``area`` and everything below it (None: the whole tree), with every grid in it, active
    or not, and the day each joined the roster in zone ``tz``."""
    areas = [area_from_row(row) for row in conn.execute("SELECT * FROM areas ORDER BY path")]
    return scope_of(areas, conn.execute(SCOPE_GRIDS), area, tz, report_days)


class LedgerSource:
    """A ledger's records day by day, from a snapshot (see :func:`open_snapshot`)."""

    def __init__(self, conn: sqlite3.Connection, scope: Scope, share: range | None = None) -> None:
        """``share``: the positions of the grids (in ``scope.grids``) whose records this
        source reads (None: every grid); the page cache is sized by them."""
        self._conn = conn
        self.scope = scope
        share = range(len(scope.grids)) if share is None else share
        self.share = share
        """The positions (in ``scope.grids``) of the grids whose records this source reads."""
        cache = _CACHE_KB_PER_GRID * len(share)
        conn.execute(f"PRAGMA cache_size = -{min(max(cache, _CACHE_KB_MIN), _CACHE_KB_MAX)}")
        conn.execute(
            "CREATE TEMP TABLE ledger_grids (pos INTEGER PRIMARY KEY, grid_id INTEGER UNIQUE)"
        )
        conn.executemany(
            "INSERT INTO temp.ledger_grids VALUES (?, ?)",
            [(pos, scope.grids[pos].grid.id) for pos in share],
        )

    def report_rows(
        self, columns: ReportColumns, spelling: RowSpelling, offsets: Sequence[tuple[str, int]]
    ) -> ReportRows:
        """The reports table, spelled with ``spelling``; times are shifted by ``offsets``
        (see :class:`ReportRows`)."""
        return ReportRows(self._conn, self.scope, columns, spelling, offsets, self.share)

    def incidents(self, day: date) -> list[IncidentRecord]:
        """The incidents of the current versions of ``day``'s reports, in scope order."""
        rows = self._conn.execute(
            "SELECT s.pos, i.category, i.urgent, i.description, r.submitted_at"
            " FROM reports r JOIN temp.ledger_grids s ON s.grid_id = r.grid_id"
            " JOIN ledger_reports v ON v.report_id = r.id"
            " JOIN incidents i ON i.version_id = v.version_id"
            " WHERE r.day = ? ORDER BY s.pos, i.position",
            (to_db_day(day),),
        )
        return [
            IncidentRecord(pos, category, bool(urgent), description, from_db_time(at))
            for pos, category, urgent, description, at in rows
        ]

    def corrected(self, ids: Sequence[int]) -> list[Report]:
        """The reports of ``ids`` (corrected ones of a day: see :attr:`SpelledRows.corrected`),
        with every version but without their incidents (a correction's rows do not show
        them), in scope order."""
        if not ids:
            return []
        rows = self._conn.execute(
            "SELECT r.id, r.grid_id, r.day, r.submitted_at, r.submitted_by, r.late,"
            " w.name AS submitted_by_name, v.report_id, v.version, v.kind, v.answers,"
            " v.baseline, v.created_at, v.created_by, v.reason, v.form_version,"
            " coalesce(c.name, v.supervisor_name) AS created_by_name"
            " FROM reports r JOIN temp.ledger_grids s ON s.grid_id = r.grid_id"
            " JOIN workers w ON w.id = r.submitted_by"
            " JOIN report_versions v ON v.report_id = r.id"
            " LEFT JOIN workers c ON c.id = v.created_by"
            " WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY s.pos, v.version",
            (f"[{','.join(map(str, ids))}]",),
        ).fetchall()
        firsts = [row for n, row in enumerate(rows) if not n or rows[n - 1]["id"] != row["id"]]
        return assemble_reports(firsts, rows, [])


def _kind_case(of: Callable[[GridDayKind], str]) -> str:
    """The grid-day's :class:`GridDayKind`, as the SQL expression ``of`` gives for each."""
    kind = GridDayKind
    return (
        f"CASE WHEN r.id IS NULL THEN (CASE WHEN e.reason IS NULL THEN {of(kind.MISSING)}"
        f" ELSE {of(kind.EXCUSED)} END)"
        f" WHEN r.late THEN (CASE WHEN v.kind = 'zero' THEN {of(kind.LATE_ZERO)}"
        f" ELSE {of(kind.LATE)} END)"
        f" WHEN v.kind = 'zero' THEN {of(kind.ZERO)} ELSE {of(kind.ON_TIME)} END"
    )


GRID_DAY_KIND = _kind_case(lambda kind: str(int(kind)))
"""The grid-day's :class:`GridDayKind` (its value), of a grid's report ``r`` that day, the
report's current version ``v`` (``ledger_reports``) and its excusal ``e``."""
_KINDS = tuple(GridDayKind)
_FROM = (
    " FROM temp.{cells} s"
    " LEFT JOIN reports r ON r.grid_id = s.grid_id AND r.day = :day"
    " LEFT JOIN ledger_reports v ON v.report_id = r.id"
    " LEFT JOIN temp.{names} w ON w.id = r.submitted_by"
    " LEFT JOIN excusals e ON e.grid_id = s.grid_id AND e.day = :day"
    " LEFT JOIN ledger_figures f ON r.id IS NOT NULL AND f.day = :day AND f.grid_id = s.grid_id"
    " WHERE s.pos BETWEEN :first AND :last"
    " AND (r.id IS NOT NULL OR (:reporting AND s.active AND s.since <= :day))"
    " ORDER BY s.pos"
)
"""A day's grid-days of the grids at positions ``first`` to ``last``: its reports (``r``,
``v``: a report's current version, ``f``: its running figures; all NULL without a report)
and excusals (``e``); a grid's reminders are counted in its row (:data:`REMINDER_ROUNDS_CELL`)."""
REMINDER_ROUNDS_CELL = (
    "(SELECT count(DISTINCT kind) FROM sends WHERE day = :day AND grid_id = s.grid_id"
    f" AND {REMINDER_SENT})"
)
"""The reminder rounds that reached a grid that day, one seek into the index of such sends
(migration 0012) a grid: cheaper than grouping the day's sends by grid and joining them
(about 1 s less CPU a year of 1,000 grids, on a send log of a real district's days)."""
KEPT_REMINDER_ROUNDS_CELL = (
    "ifnull((SELECT rounds FROM reminder_rounds WHERE day = :day AND grid_id = s.grid_id), 0)"
)
"""The same, of a day whose send log was pruned (migration 0014)."""
_PRUNED = "SELECT EXISTS (SELECT 1 FROM reminder_rounds WHERE day = ?)"
"""Whether a day's send log was pruned (a day pruned without any reminder round reads 0
either way)."""


class ReportRows:
    """The reports table's rows of one day at a time, spelled by the database.

    ``offsets``: the book zone's UTC offsets in seconds, each with the first stored time
    (UTC, as stored) it applies from; times before the first use the first. ``share``: the
    positions (in ``scope.grids``) of the grids whose rows are read (None: every grid).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        scope: Scope,
        columns: ReportColumns,
        spelling: RowSpelling,
        offsets: Sequence[tuple[str, int]],
        share: range | None = None,
    ) -> None:
        self._conn = conn
        self.scope = scope
        self.share = range(len(scope.grids)) if share is None else share
        self._spelling = spelling
        self._columns = columns
        self._constant = _Constant(spelling)
        number = next(_tables)
        self._text = f"cell_text_{number}"
        conn.create_function(self._text, 1, _text_function(spelling), deterministic=True)
        self._json_text = f"cell_json_text_{number}"
        conn.create_function(self._json_text, 1, _json_text_function(spelling), deterministic=True)
        self._params: dict[str, object] = {}
        (encoding,) = conn.execute("PRAGMA encoding").fetchone()
        if encoding != "UTF-8":  # the rows come as the database's bytes (SpelledRows.text)
            raise RuntimeError(f"the database's text is in {encoding}, not UTF-8")
        keys = conn.execute(_KEYS).fetchall()
        self._positions = {key: position - 1 for position, key, _ in keys}
        self._texts = {key for _, key, texts in keys if texts}
        cells, self._names = f"ledger_cells_{number}", f"ledger_names_{number}"
        self._spell_grids(cells, scope, self.share)
        self._spell_names(columns)
        head = len(columns.head)
        self._head = [self._cell(index, name) for index, name in enumerate(columns.head)]
        self._fields = [self._field(head + n, n) for n in range(len(columns.fields))]
        self._from = _FROM.format(cells=cells, names=self._names)
        self._offsets = offsets
        self._sqls: dict[tuple[tuple[bool, ...], bool], str] = {}
        self._pruned: dict[date, bool] = {}

    def day(
        self, day: date, reporting: bool, asked: Sequence[bool], piece: range | None = None
    ) -> SpelledRows:
        """The rows of ``day`` (``reporting``: grids are expected to report that day;
        ``asked``: per field column, whether the day's form asks it) of the grids at the
        positions of ``piece`` (a part of the share; None: the whole share), joined in one
        text by the database, how many grid-days of each kind each area (by id) holds, which
        reports have been corrected and how many incidents they hold."""
        sql = self._sql(tuple(asked), self._pruned_day(day))
        piece = self.share if piece is None else piece
        params = dict(self._params)
        params.update(day=to_db_day(day), reporting=int(reporting), day_cell=self._day(day))
        params.update(first=piece.start, last=piece.stop - 1)
        cursor = self._conn.cursor()
        cursor.row_factory = None  # plain tuples
        (found,) = cursor.execute(sql, params).fetchall()  # stepped to its end: reusable
        keys, text, corrected, incidents = found
        tally = Counter(keys.split(",")) if keys else Counter[str]()
        kinds = {
            (area_id, _KINDS[kind]): number
            for key, number in tally.items()
            for area_id, kind in [divmod(int(key), 8)]
        }
        ids = tuple(map(int, corrected.split(","))) if corrected else ()
        return SpelledRows(text or b"", tally.total(), kinds, ids, int(incidents))

    def _pruned_day(self, day: date) -> bool:
        """Whether the send log of ``day`` was pruned (its reminders are read from what was
        kept of it), asked once a day."""
        found = self._pruned.get(day)
        if found is None:
            (pruned,) = self._conn.execute(_PRUNED, (to_db_day(day),)).fetchone()
            found = self._pruned[day] = bool(pruned)
        return found

    def _sql(self, asked: tuple[bool, ...], pruned: bool) -> str:
        """The query of a day whose form asks the field columns ``asked`` says (a cell of a
        field not asked is empty) and whose send log was ``pruned`` or not, made once per
        form and kind of day."""
        found = self._sqls.get((asked, pruned))
        if found is None:
            fields = [
                cell if ask else "NULL" for cell, ask in zip(self._fields, asked, strict=True)
            ]
            row = self._join([*self._head, *fields], self._spelling.start, self._spelling.end)
            rows = (
                f"SELECT s.area_id * 8 + ({GRID_DAY_KIND}) AS tally, {row} AS line,"
                " CASE WHEN v.version > 1 THEN r.id END AS corrected, v.incidents AS incidents"
                + self._from
            )
            rows = rows.replace("{offset}", self._offset_expression(self._offsets))
            rows = rows.replace("{modifier}", self._offset_expression(self._offsets, "m"))
            rounds = KEPT_REMINDER_ROUNDS_CELL if pruned else REMINDER_ROUNDS_CELL
            rows = rows.replace("{reminders}", rounds)
            # One result a day: the database steps it without Python's lock (see bot.ahead).
            found = self._sqls[asked, pruned] = (
                "SELECT group_concat(tally), CAST(group_concat(line, '') AS BLOB),"
                " group_concat(corrected),"
                f" total(incidents) FROM ({rows})"
            )
        return found

    # --- spelling --------------------------------------------------------------------------

    def _spell_grids(self, table: str, scope: Scope, share: range) -> None:
        """The grids of ``share``, each's area, code and name spelled once (columns 1 to 3;
        every grid's, in scope order, so that a book's shared text keeps one order)."""
        text = self._constant.text
        spelled = [
            (text(1, item.grid.area_path), text(2, item.grid.code), text(3, item.grid.name))
            for item in scope.grids
        ]
        self._conn.execute(
            f"CREATE TEMP TABLE {table} (pos INTEGER PRIMARY KEY, grid_id INTEGER,"
            " area_id INTEGER, active INTEGER, since TEXT, a, c, n)"
        )
        self._conn.executemany(
            f"INSERT INTO temp.{table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    pos,
                    item.grid.id,
                    item.grid.area_id,
                    int(item.grid.active),
                    to_db_day(item.since),
                    *spelled[pos],
                )
                for pos in share
                for item in [scope.grids[pos]]
            ],
        )

    def _spell_names(self, columns: ReportColumns) -> None:
        """Each worker's name as a whole cell of the "submitted by" column, spelled once."""
        self._conn.execute(f"CREATE TEMP TABLE {self._names} (id INTEGER PRIMARY KEY, cell)")
        if "submitted_by" not in columns.head:
            return
        index = columns.head.index("submitted_by")
        text = self._constant.text
        self._conn.executemany(
            f"INSERT INTO temp.{self._names} VALUES (?, ?)",
            [(id_, text(index, name)) for id_, name in self._conn.execute(_WORKERS)],
        )

    def _cell(self, index: int, name: str) -> str:
        """The SQL expression spelling column ``name`` (at ``index``) of a row."""
        if name == "day":
            return ":day_cell"
        if name in _GRID_CELLS:
            return f"s.{_GRID_CELLS[name]}"
        if name == "status":
            return self._status(index)
        if name == "kind":
            return self._pick(index, "v.kind", {k.value: v for k, v in self._columns.kinds.items()})
        if name == "submitted_at":
            return self._moment(index, "r.submitted_at")
        if name == "submitted_by":
            return "w.cell"
        if name == "corrections":
            return self._wrap(index, "v.version - 1")
        if name == "excused":
            reason = f"CASE WHEN e.reason IS NOT NULL THEN {self._text}(e.reason) END"
            return self._wrap(index, reason, text=True)
        if name == "reminders":
            return self._wrap(index, "{reminders}")  # see _sql
        if name == "incidents":
            return self._wrap(index, "v.incidents")
        raise ValueError(f"no such column of the reports table: {name}")

    def _join(self, cells: list[str], start: str = "", end: str = "") -> str:
        """``cells`` joined as the spelling says, between ``start`` and ``end`` (printf takes
        at most 100 at once)."""
        if len(cells) <= _PRINTF_ARGS:
            name = "row" if start or end else f"row{len(cells)}"
            joined = self._spelling.separator.join(["%s"] * len(cells))
            self._params[name] = _literal(start) + joined + _literal(end)
            return f"printf(:{name}, {', '.join(cells)})"
        parts = [
            self._join(cells[first : first + _PRINTF_ARGS])
            for first in range(0, len(cells), _PRINTF_ARGS)
        ]
        return self._join(parts, start, end)

    def _field(self, index: int, position: int) -> str:
        field = self._columns.fields[position]
        if field.key not in self._positions:  # never answered nor figured: empty
            return "NULL"
        path = f"p{index}"
        self._params[path] = f"$[{self._positions[field.key]}]"
        if field.stock:
            value = self._wrap(index, f"json_extract(f.firsts, :{path})")
        elif field.key not in self._texts:  # only numbers: no type to test
            value = self._wrap(index, f"json_extract(v.answers, :{path})")
        else:
            answer = f"json_extract(v.answers, :{path})"
            token = f"(v.answers -> :{path})"  # whole, where json_extract cuts at a NUL
            text = self._wrap(index, f"{self._json_text}({token})", text=True)
            choices = [f"WHEN :k{index}_{n} THEN :l{index}_{n}" for n in range(len(field.choices))]
            for n, (key, label) in enumerate(field.choices.items()):
                self._params[f"k{index}_{n}"] = key
                self._params[f"l{index}_{n}"] = self._constant.text(index, label)
            if choices:
                text = f"CASE {answer} {' '.join(choices)} ELSE {text} END"
            value = (
                f"CASE typeof({answer}) WHEN 'integer' THEN {self._wrap(index, answer)}"
                f" WHEN 'real' THEN {self._wrap(index, answer)}"
                f" WHEN 'text' THEN {text} END"
            )
        return value

    def _wrap(self, index: int, value: str, *, text: bool = False) -> str:
        """``value`` (NULL: an empty cell) as cell ``index`` of the row."""
        before, after = (self._spelling.texts if text else self._spelling.numbers)[index]
        if not before and not after:
            return value
        name = f"{'t' if text else 'n'}{index}"
        self._params[f"{name}b"], self._params[f"{name}e"] = before, after
        return f"(:{name}b || ({value}) || :{name}e)"

    def _status(self, index: int) -> str:
        """The grid-day's status label, each spelled once."""
        for kind in GridDayKind:
            self._params[f"c{index}_{int(kind)}"] = self._constant.text(
                index, self._columns.statuses[kind]
            )
        return _kind_case(lambda kind: f":c{index}_{int(kind)}")

    def _pick(self, index: int, value: str, labels: dict[int, str] | dict[str, str]) -> str:
        """One of a few fixed labels, each spelled once."""
        whens = []
        for n, (key, label) in enumerate(labels.items()):
            self._params[f"w{index}_{n}"] = key
            self._params[f"c{index}_{n}"] = self._constant.text(index, label)
            whens.append(f"WHEN :w{index}_{n} THEN :c{index}_{n}")
        return f"CASE {value} {' '.join(whens)} END"

    def _moment(self, index: int, stored: str) -> str:
        """A stored time, its fraction of a second cut off first (SQLite rounds it: 10:00:59.9996
        would read 10:01), as an Excel serial or as text in the book's zone."""
        whole = f"substr({stored}, 1, 19)"
        if self._spelling.serial_dates:
            seconds = f"CAST(strftime('%s', {whole}) AS INTEGER) + {{offset}}"
            return self._wrap(index, f"(({seconds}) / 86400.0 + {_EXCEL_EPOCH_UNIX_DAYS})")
        shifted = f"strftime('%Y-%m-%d %H:%M', {whole}, {{modifier}})"
        return self._wrap(index, shifted, text=True)

    def _offset_expression(self, offsets: Sequence[tuple[str, int]], name: str = "o") -> str:
        """The offset of ``r.submitted_at``'s moment: in seconds (``name`` "o"), or as a
        date modifier (``name`` "m": "28800 seconds")."""

        def value(seconds: int) -> int | str:
            return seconds if name == "o" else f"{seconds} seconds"

        self._params[f"{name}0"] = value(offsets[0][1])
        whens = []
        for n, (since, seconds) in enumerate(offsets[1:], start=1):
            self._params[f"since{n}"], self._params[f"{name}{n}"] = since, value(seconds)
            whens.append(f"WHEN r.submitted_at >= :since{n} THEN :{name}{n}")
        if not whens:
            return f":{name}0"
        return f"CASE {' '.join(reversed(whens))} ELSE :{name}0 END"

    def _day(self, day: date) -> str:
        if self._spelling.serial_dates:
            return self._constant.number(0, (day - _EXCEL_DAY_0).days)
        return self._constant.text(0, day.isoformat())


@dataclass(frozen=True, slots=True)
class SpelledRows:
    """A day's rows of the reports table, spelled and joined in one text (in scope order;
    in UTF-8 as the database holds it: never decoded only to be encoded again), how many
    there are, how many grid-days of each kind each area holds, the ids of the reports
    among them that have been corrected (in scope order), and how many incidents their
    reports' current versions hold."""

    text: bytes
    count: int
    tally: Tally
    corrected: tuple[int, ...] = ()
    incidents: int = 0


_WORKERS = "SELECT id, name FROM workers"
_KEYS = "SELECT position, key, texts FROM ledger_keys"
"""Where each field is in the arrays of ``ledger_reports`` and ``ledger_figures``, and
whether it ever held text there (migration 0009)."""
_GRID_CELLS = {"area": "a", "grid_code": "c", "grid": "n"}
_PRINTF_ARGS = 100
Tally = dict[tuple[int, GridDayKind], int]
"""Grid-days by (area id, kind)."""


@dataclass(frozen=True, slots=True)
class _Constant:
    """Whole cells of constant values, spelled in Python."""

    spelling: RowSpelling

    def text(self, index: int, value: str) -> str:
        return self.spelling.repeated(index, value)

    def number(self, index: int, value: int) -> str:
        before, after = self.spelling.numbers[index]
        return f"{before}{value}{after}"


def _literal(text: str) -> str:
    """``text`` as part of a printf format."""
    return text.replace("%", "%%")


def _text_function(spelling: RowSpelling) -> Callable[[object], str | None]:
    escape = spelling.text

    def cell_text(value: object) -> str | None:
        return None if value is None else escape(str(value))

    return cell_text


def _json_text_function(spelling: RowSpelling) -> Callable[[str | None], str | None]:
    """Like :func:`_text_function`, for a JSON string token."""
    escape = spelling.text

    def cell_json_text(token: str | None) -> str | None:
        return None if token is None else escape(str(from_json(token)))

    return cell_json_text


def utc_offsets(tz: tzinfo, first: datetime, last: datetime) -> list[tuple[str, int]]:
    """The UTC offsets (in seconds) ``tz`` has from ``first`` to ``last`` (aware), each with
    the first moment (as stored) it applies from: a day's probe finds each change, bisection
    its second."""

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return 0 if delta is None else int(delta.total_seconds())

    first, last = first.astimezone(UTC), last.astimezone(UTC)  # steps of real time
    found = [(to_db_time(first), offset(first))]
    moment = first
    while moment < last:
        step = min(moment + timedelta(days=1), last)
        if offset(step) != found[-1][1]:
            low, high = int(moment.timestamp()), int(step.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                same = offset(datetime.fromtimestamp(middle, UTC)) == found[-1][1]
                low, high = (middle, high) if same else (low, middle)
            high_moment = datetime.fromtimestamp(high, UTC)
            found.append((to_db_time(high_moment), offset(high_moment)))
        moment = step
    return found
