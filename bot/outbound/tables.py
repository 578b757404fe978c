"""The per-grid table of a large digest, as a spreadsheet attached to the digest message."""

from __future__ import annotations

from io import BytesIO

from bot.domain.digest import Digest, GridLine
from bot.i18n import Locale, t
from bot.xlsx import Row, SheetSpec, write_xlsx

HEADER_KEYS = ("area", "code", "grid", "status", "submitted", "reminders", "incidents")


def grid_table_xlsx(digest: Digest, locale: Locale) -> tuple[bytes, str]:
    """The workbook's bytes and a file name like ``digest-学院南路街道-2026-11-22.xlsx``."""
    fields = [field for field in digest.form.fields if field.kind in ("count", "text")]
    keys = [field.key for field in fields]
    header = [t(locale, f"outbound.table.{key}") for key in HEADER_KEYS]
    header += [field.label(locale) for field in fields]
    rows = (_row(line, locale, keys) for line in digest.grids)
    buffer = BytesIO()
    write_xlsx(buffer, [SheetSpec(t(locale, "outbound.table.sheet"), header, rows)], tz=digest.tz)
    return buffer.getvalue(), f"digest-{digest.area.name}-{digest.day.isoformat()}.xlsx"


def _row(line: GridLine, locale: Locale, keys: list[str]) -> Row:
    day = line.today
    values = day.report.values if day.report else {}
    return [
        day.grid.area_path,
        day.grid.code,
        day.grid.name,
        day.status.label(locale),
        day.submitted_at,
        day.reminders,
        line.incidents,
        *(values.get(key) for key in keys),
    ]
