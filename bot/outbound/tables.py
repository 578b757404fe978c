"""The per-grid table of a large digest, as a spreadsheet attached to the digest message."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from bot.domain.digest import Digest, GridLine
from bot.i18n import Locale, t

HEADER_KEYS = ("area", "code", "grid", "status", "submitted", "reminders", "incidents")


def grid_table_xlsx(digest: Digest, locale: Locale) -> tuple[bytes, str]:
    """The workbook's bytes and a file name like ``digest-学院南路街道-2026-11-22.xlsx``."""
    counts = [field for field in digest.form.counts()]
    header = [t(locale, f"outbound.table.{key}") for key in HEADER_KEYS]
    header += [field.label(locale) for field in counts]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t(locale, "outbound.table.sheet"))
    sheet.freeze_panes = "A2"
    for column, title in enumerate(header, start=1):
        sheet.column_dimensions[_letter(column)].width = max(10, len(title) * 2 + 2)
    sheet.append(header)
    for line in digest.grids:
        sheet.append(_row(digest, line, locale, [field.key for field in counts]))
    buffer = BytesIO()
    book.save(buffer)
    name = f"digest-{digest.area.name}-{digest.day.isoformat()}.xlsx"
    return buffer.getvalue(), name


def _row(digest: Digest, line: GridLine, locale: Locale, keys: list[str]) -> list[object]:
    day = line.today
    submitted = day.submitted_at
    values = day.report.current.values if day.report else {}
    return [
        day.grid.area_path,
        day.grid.code,
        day.grid.name,
        day.status.label(locale),
        submitted.astimezone(digest.tz).replace(tzinfo=None) if submitted else None,
        day.reminders,
        line.incidents,
        *(values.get(key) if day.report else None for key in keys),
    ]


def _letter(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
