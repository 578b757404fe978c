"""The ledger (台账) as four tables, built one day at a time. Pure: no I/O.

The reports table is the big one (a row per grid per day); its rows are spelled by the
database (:mod:`storage.ledger_export`) from :class:`ReportColumns`, the other tables are
built here from records.

- **reports**: one row per grid per day: status (on time / late / zero / missing / excused),
  who filed it and when, every form field, the derived stocks. A grid-day without a report is
  a row with status "missing" and empty figures, never zeros. The field columns are every
  field in force on some day of the ledger, in form order; a cell is empty on a day whose
  form did not ask the field (so a dropped field keeps its history, a new one starts empty).
- **incidents**: every incident of the current version of each report.
- **completeness**: per area per day, expected, reported, on time… and the rates.
- **corrections**: one row per changed answer of each correction: old → new, who, when, why.

Statuses and completeness follow :mod:`bot.domain.status`, stocks are the running figures'
closings (:mod:`bot.domain.running`, as the digest shows them), corrections come from the
digest's :func:`~bot.domain.digest.corrections_since`: the same computations as everywhere
else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from bot.domain.dates import DEFAULT_DAYS, DayRange, parse_range, split_day_args
from bot.domain.digest import Correction, corrections_since
from bot.domain.form import FieldDef, Form
from bot.domain.form_versions import FormSource, fields_over
from bot.domain.ledger import Scope
from bot.domain.models import Area, FieldValue, Grid, Report, ReportKind
from bot.domain.status import Completeness, DayStatus, GridDayKind
from bot.i18n import Locale, t
from bot.xlsx import DATE_FORMAT, DATETIME_FORMAT, Cell, Row

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
class FieldColumn:
    """A form field's column in the reports table."""

    key: str
    stock: bool
    """A stock: the cell is its closing that day, not an answer."""
    choices: Mapping[str, str]
    """A choice's labels by key (an answer shows its label)."""


@dataclass(frozen=True, slots=True)
class ReportColumns:
    """What the reports table's columns are, for the database to spell its rows: ``head``
    names the fixed columns (day, area…, see ``export.reports.*`` in the catalogs), then
    come ``fields``; statuses and report kinds are shown by these labels."""

    head: tuple[str, ...]
    fields: tuple[FieldColumn, ...]
    statuses: Mapping[GridDayKind, str]
    kinds: Mapping[ReportKind, str]


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """One incident of a report's current version, and where its grid is in the scope."""

    position: int
    """The grid's index in ``scope.grids``."""
    category: str
    urgent: bool
    description: str
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class _FormLabels:
    """A form's questions (key, label, choice labels by key) and stock openings (key,
    label), as the correction rows name them."""

    form: Form
    questions: list[tuple[str, str, dict[str, str]]]
    openings: list[tuple[str, str]]


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
    """The ledger's tables, one day at a time in day order: the reports table's columns
    (spelled by the database, see :class:`ReportColumns`), and the rows the other tables
    get from a day's records. Holds nothing per day, so a ledger of any length is built in
    constant memory."""

    def __init__(self, forms: FormSource, locale: Locale, scope: Scope, days: DayRange) -> None:
        self.forms = forms
        self.locale = locale
        self.scope = scope
        self._statuses = {status: status.label(locale) for status in DayStatus}
        self._kinds = {kind: t(locale, f"status.kind.{kind.value}") for kind in ReportKind}
        self._columns = fields_over(forms, days.first, days.last)
        self._covering = _covering_areas(scope)
        self._grids = {item.grid.id: item.grid for item in scope.grids}
        self._form_labels: dict[int, _FormLabels] = {}

    def layouts(self) -> list[Layout]:
        """The four tables' titles and headers, in the reader's language."""

        def header(sheet: Sheet, names: Sequence[str]) -> list[str]:
            return [self._t(f"export.{sheet.value}.{name}") for name in names]

        fields = [_field_header(f, self.locale) for f in self._columns]
        rates = {_COMPLETENESS_COLUMNS.index(name): PERCENT for name in _RATES}
        moments = {
            _REPORT_COLUMNS.index("day"): DATE_FORMAT,
            _REPORT_COLUMNS.index("submitted_at"): DATETIME_FORMAT,
        }
        return [
            Layout(
                Sheet.REPORTS,
                self._title(Sheet.REPORTS),
                [*header(Sheet.REPORTS, _REPORT_COLUMNS), *fields],
                moments,
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

    def report_columns(self) -> ReportColumns:
        """The reports table's columns, for the database to spell its rows."""
        fields = tuple(
            FieldColumn(
                item.key,
                item.kind == "stock",
                {choice.key: choice.label(self.locale) for choice in item.choices},
            )
            for item in self._columns
        )
        statuses = {kind: self._statuses[kind.status] for kind in GridDayKind}
        return ReportColumns(_REPORT_COLUMNS, fields, statuses, self._kinds)

    def asked(self, day: date) -> tuple[bool, ...]:
        """Per field column, whether ``day``'s form asks it (a cell of a day whose form did
        not ask its field stays empty)."""
        form = self.forms.form_for(day)
        return tuple(form.has_field(item.key) for item in self._columns)

    def completeness(self, day: date, tally: Mapping[tuple[int, GridDayKind], int]) -> list[Row]:
        """The completeness rows of ``day``, one per covered area in scope order, from the
        number of grid-days of each kind by the id of the area their grid is in."""
        counts = {area.id: [0] * len(GridDayKind) for area in self.scope.areas}
        for (area_id, kind), number in tally.items():
            for area in self._covering.get(area_id, ()):
                counts[area.id][kind] += number
        rows: list[Row] = []
        for area in self.scope.areas:
            found = Completeness.from_counts(counts[area.id])
            rows.append(
                [
                    day,
                    area.path,
                    found.expected,
                    found.reported,
                    found.on_time,
                    found.late,
                    found.zero,
                    found.missing,
                    found.excused,
                    found.reporting_rate,
                    found.on_time_rate,
                ]
            )
        return rows

    def incidents(self, day: date, records: Iterable[IncidentRecord]) -> list[Row]:
        """The incident rows of ``day``, from its incidents in scope order."""
        rows: list[Row] = []
        last, number = -1, 0
        for record in records:
            number = number + 1 if record.position == last else 1
            last = record.position
            grid = self.scope.grids[record.position].grid
            rows.append(
                [
                    day,
                    grid.area_path,
                    grid.code,
                    grid.name,
                    number,
                    self._category(record.category, day),
                    self._t("export.yes" if record.urgent else "export.no"),
                    record.description,
                    record.submitted_at,
                ]
            )
        return rows

    def corrections(self, reports: Iterable[Report]) -> list[Row]:
        """The correction rows of corrected reports (with every version), in scope order."""
        grids = self._grids
        return [
            row
            for report in reports
            for row in self._correction_rows(grids[report.grid_id], report)
        ]

    # --- rows ------------------------------------------------------------------------------

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
        labels = self._labels(self.forms.form_for(correction.day))
        for key, label, choices in labels.questions:
            before, after = correction.old.get(key), correction.new.get(key)
            if before != after:
                changes.append((label, _answer(before, choices), _answer(after, choices)))
        for key, label in labels.openings:
            before_opening = correction.old_baseline.get(key)
            after_opening = correction.new_baseline.get(key)
            if before_opening != after_opening:
                changes.append((label, before_opening, after_opening))
        return changes

    def _labels(self, form: Form) -> _FormLabels:
        """What the correction rows call ``form``'s questions and openings (worked out once
        per form: a year's ledger has tens of thousands of correction rows)."""
        found = self._form_labels.get(id(form))
        if found is None or found.form is not form:
            found = self._form_labels[id(form)] = _FormLabels(
                form,
                [
                    (
                        question.key,
                        question.label(self.locale),
                        {c.key: c.label(self.locale) for c in question.choices},
                    )
                    for question in form.questions()
                ],
                [
                    (
                        stock.key,
                        self._t("export.corrections.opening", label=stock.label(self.locale)),
                    )
                    for stock in form.stocks()
                ],
            )
        return found

    # --- helpers ---------------------------------------------------------------------------

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


def _covering_areas(scope: Scope) -> dict[int, list[Area]]:
    """By the id of an area holding grids: the covered areas it lies in, top first."""
    return {item.grid.area_id: list(scope.areas_of(item.grid)) for item in scope.grids}


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
