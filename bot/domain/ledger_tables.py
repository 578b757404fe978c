"""The ledger (台账) as four tables, built one day at a time. Pure: no I/O.

- **reports**: one row per grid per day: status (on time / late / zero / missing / excused),
  who filed it and when, every form field, the derived stocks. A grid-day without a report is
  a row with status "missing" and empty figures, never zeros. The field columns are every
  field in force on some day of the ledger, in form order; a cell is empty on a day whose
  form did not ask the field (so a dropped field keeps its history, a new one starts empty).
- **incidents**: every incident of the current version of each report.
- **completeness**: per area per day, expected, reported, on time… and the rates.
- **corrections**: one row per changed answer of each correction: old → new, who, when, why.

Statuses and completeness come from :mod:`bot.domain.status`, stocks from
:func:`bot.domain.stocks.next_stock_day`, corrections from the digest's
:func:`~bot.domain.digest.corrections_since`: the same computations as everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

from bot.domain.dates import DEFAULT_DAYS, DayRange, parse_range, split_day_args
from bot.domain.digest import Correction, corrections_since
from bot.domain.form import FieldDef
from bot.domain.form_versions import FormSource, fields_over
from bot.domain.ledger import DayRecords, Scope
from bot.domain.models import FieldValue, Grid, Report, ReportKind
from bot.domain.running import Runs
from bot.domain.status import DayStatus, GridDay
from bot.domain.stocks import next_stock_day
from bot.i18n import Locale, t
from bot.xlsx import Cell, Row

ExportFormat = Literal["xlsx", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("xlsx", "csv")
PERCENT = "0.0%"


class Sheet(StrEnum):
    """The tables of a ledger, in the order they appear."""

    REPORTS = "reports"
    INCIDENTS = "incidents"
    COMPLETENESS = "completeness"
    CORRECTIONS = "corrections"


@dataclass(frozen=True, slots=True)
class Layout:
    """A table's title and header in one language, and its number formats by column."""

    sheet: Sheet
    title: str
    header: list[str]
    formats: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExportArgs:
    """What ``/export`` was asked for."""

    days: DayRange
    area: str | None
    format: ExportFormat


def parse_export_args(args: Sequence[str], today: date) -> ExportArgs:
    """``[FROM] [TO] [AREA] [csv|xlsx]``; see :func:`bot.domain.dates.parse_range`.

    Raises :class:`~bot.domain.dates.DateArgError` for bad days.
    """
    tokens = list(args)
    fmt: ExportFormat = "xlsx"
    if tokens and tokens[-1].lower() in FORMATS:
        fmt = "csv" if tokens.pop().lower() == "csv" else "xlsx"
    day_args, rest = split_day_args(tokens)
    days = parse_range(day_args, today, default_days=DEFAULT_DAYS)
    return ExportArgs(days, " ".join(rest).strip() or None, fmt)


class LedgerTables:
    """Rows of the ledger's tables, fed one day at a time in day order.

    Holds each grid's latest stock closings (one small mapping per grid), so a ledger of any
    length is built in constant memory. :meth:`start_from` gives the balances the ledger's
    first day starts from.
    """

    def __init__(self, forms: FormSource, locale: Locale, scope: Scope, days: DayRange) -> None:
        self.forms = forms
        self.locale = locale
        self.scope = scope
        self._closings: dict[int, dict[str, int]] = {}
        self._statuses = {status: status.label(locale) for status in DayStatus}
        self._kinds = {kind: t(locale, f"status.kind.{kind.value}") for kind in ReportKind}
        self._columns = fields_over(forms, days.first, days.last)
        self._fields = [
            (item.key, item.kind == "stock", {c.key: c.label(locale) for c in item.choices})
            for item in self._columns
        ]

    def layouts(self) -> list[Layout]:
        """The four tables' titles and headers, in the reader's language."""

        def header(sheet: Sheet, names: Sequence[str]) -> list[str]:
            return [self._t(f"export.{sheet.value}.{name}") for name in names]

        fields = [_field_header(f, self.locale) for f in self._columns]
        rates = {_COMPLETENESS_COLUMNS.index(name): PERCENT for name in _RATES}
        return [
            Layout(
                Sheet.REPORTS,
                self._title(Sheet.REPORTS),
                [*header(Sheet.REPORTS, _REPORT_COLUMNS), *fields],
            ),
            Layout(
                Sheet.INCIDENTS,
                self._title(Sheet.INCIDENTS),
                header(Sheet.INCIDENTS, _INCIDENT_COLUMNS),
            ),
            Layout(
                Sheet.COMPLETENESS,
                self._title(Sheet.COMPLETENESS),
                header(Sheet.COMPLETENESS, _COMPLETENESS_COLUMNS),
                rates,
            ),
            Layout(
                Sheet.CORRECTIONS,
                self._title(Sheet.CORRECTIONS),
                header(Sheet.CORRECTIONS, _CORRECTION_COLUMNS),
            ),
        ]

    def start_from(self, runs: Mapping[int, Runs], first: date) -> None:
        """Start each grid's stocks from its running figures as of the day before the
        ledger's ``first`` day (by grid id; see :mod:`bot.domain.running`), instead of
        replaying every earlier day."""
        stocks = [stock.key for stock in self.forms.form_for(first).stocks()]
        for grid_id, grid_runs in runs.items():
            self._closings[grid_id] = {
                key: run.total for key in stocks if (run := grid_runs.get(key)) is not None
            }

    def day(self, records: DayRecords) -> dict[Sheet, list[Row]]:
        """The rows one day adds to each table."""
        grid_days = self.scope.grid_days(records)
        rows: dict[Sheet, list[Row]] = {sheet: [] for sheet in Sheet}
        for grid_day in grid_days:
            rows[Sheet.REPORTS].append(self._report_row(grid_day))
            if grid_day.report is not None:
                rows[Sheet.INCIDENTS].extend(self._incident_rows(grid_day.grid, grid_day.report))
                rows[Sheet.CORRECTIONS].extend(
                    self._correction_rows(grid_day.grid, grid_day.report)
                )
        for area, counts in self.scope.completeness(grid_days):
            rows[Sheet.COMPLETENESS].append(
                [
                    records.day,
                    area.path,
                    counts.expected,
                    counts.reported,
                    counts.on_time,
                    counts.late,
                    counts.zero,
                    counts.missing,
                    counts.excused,
                    counts.reporting_rate,
                    counts.on_time_rate,
                ]
            )
        return rows

    # --- rows ------------------------------------------------------------------------------

    def _report_row(self, grid_day: GridDay) -> Row:
        grid, report = grid_day.grid, grid_day.report
        head: list[Cell] = [
            grid_day.day,
            grid.area_path,
            grid.code,
            grid.name,
            self._statuses[grid_day.status],
        ]
        if report is None:
            return [*head, None, None, None, None, grid_day.excused_reason, grid_day.reminders]
        closing = self._stocks(report)
        values = report.current.values
        asked = self.forms.form_for(report.day).has_field
        return [
            *head,
            self._kinds[report.kind],
            report.submitted_at,
            report.submitted_by_name,
            len(report.versions) - 1,
            grid_day.excused_reason,
            grid_day.reminders,
            len(report.current.incidents),
            *(
                None
                if not asked(key)
                else closing.get(key)
                if stock
                else _answer(values.get(key), choices)
                for key, stock, choices in self._fields
            ),
        ]

    def _incident_rows(self, grid: Grid, report: Report) -> list[Row]:
        return [
            [
                report.day,
                grid.area_path,
                grid.code,
                grid.name,
                number,
                self._category(incident.category, report.day),
                self._t("export.yes" if incident.urgent else "export.no"),
                incident.description,
                report.submitted_at,
            ]
            for number, incident in enumerate(report.current.incidents, start=1)
        ]

    def _correction_rows(self, grid: Grid, report: Report) -> list[Row]:
        rows: list[Row] = []
        found = corrections_since(grid, [report], None)
        for version, correction in enumerate(found, start=2):
            head: list[Cell] = [
                report.day,
                grid.area_path,
                grid.code,
                grid.name,
                version,
                correction.at,
                correction.by,
                correction.reason,
            ]
            changes = self._changes(correction) or [
                (self._t("export.corrections.other"), None, None)
            ]
            rows.extend([*head, *change] for change in changes)
        return rows

    def _changes(self, correction: Correction) -> list[tuple[str, Cell, Cell]]:
        """Report type, answers, then typed opening balances: each one that changed."""
        changes: list[tuple[str, Cell, Cell]] = []
        if correction.old_kind != correction.new_kind:
            changes.append(
                (
                    self._t("export.corrections.kind"),
                    self._kind(correction.old_kind),
                    self._kind(correction.new_kind),
                )
            )
        form = self.forms.form_for(correction.day)
        for question in form.questions():
            before, after = correction.old.get(question.key), correction.new.get(question.key)
            if before != after:
                choices = {c.key: c.label(self.locale) for c in question.choices}
                label = question.label(self.locale)
                changes.append((label, _answer(before, choices), _answer(after, choices)))
        for stock in form.stocks():
            before_opening = correction.old_baseline.get(stock.key)
            after_opening = correction.new_baseline.get(stock.key)
            if before_opening != after_opening:
                label = self._t("export.corrections.opening", label=stock.label(self.locale))
                changes.append((label, before_opening, after_opening))
        return changes

    # --- helpers ---------------------------------------------------------------------------

    def _stocks(self, report: Report) -> dict[str, int]:
        """The report's stock closings, carried on to the grid's next report."""
        day = next_stock_day(self.forms, report, self._closings.get(report.grid_id, {}))
        self._closings[report.grid_id] = day.closing
        return day.closing

    def _t(self, key: str, /, **params: object) -> str:
        return t(self.locale, key, **params)

    def _title(self, sheet: Sheet) -> str:
        return self._t(f"export.{sheet.value}.title")

    def _kind(self, kind: ReportKind) -> str:
        return self._kinds[kind]

    def _category(self, key: str, day: date) -> str:
        form = self.forms.form_for(day)
        return form.category(key).label(self.locale) if form.has_category(key) else key


_REPORT_COLUMNS = (
    "day",
    "area",
    "grid_code",
    "grid",
    "status",
    "kind",
    "submitted_at",
    "submitted_by",
    "corrections",
    "excused",
    "reminders",
    "incidents",
)
_INCIDENT_COLUMNS = (
    "day",
    "area",
    "grid_code",
    "grid",
    "number",
    "category",
    "urgent",
    "description",
    "submitted_at",
)
_COMPLETENESS_COLUMNS = (
    "day",
    "area",
    "expected",
    "reported",
    "on_time",
    "late",
    "zero",
    "missing",
    "excused",
    "reporting_rate",
    "on_time_rate",
)
_RATES = ("reporting_rate", "on_time_rate")
_CORRECTION_COLUMNS = (
    "day",
    "area",
    "grid_code",
    "grid",
    "version",
    "corrected_at",
    "corrected_by",
    "reason",
    "field",
    "old",
    "new",
)


def _field_header(definition: FieldDef, locale: Locale) -> str:
    label = definition.label(locale)
    if definition.unit is None:
        return label
    return t(locale, "export.field_with_unit", label=label, unit=definition.unit(locale))


def _answer(value: FieldValue, choices: Mapping[str, str]) -> Cell:
    """An answer as a cell: a number stays a number, a choice shows its label."""
    if choices and isinstance(value, str):
        return choices.get(value, value)
    return value
