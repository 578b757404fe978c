"""The digest as text: Telegram HTML split into messages, or plain text for a terminal.

Every word comes from the catalogs; the lines are plain text that :mod:`.text` escapes,
tags and splits into messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.digest.model import (
    AreaLine,
    Correction,
    CountTotal,
    Digest,
    Figure,
    GridLine,
    MissingGrid,
    StockTotal,
)
from bot.domain.digest.text import TELEGRAM_LIMIT, Line, to_messages
from bot.domain.grid_names import grid_name
from bot.domain.models import Area, Grid, ReportKind
from bot.domain.status import Completeness, DayStatus, GridDay, percent
from bot.domain.summary import diff_lines, quantity
from bot.i18n import Locale, listing, t

ATTACHMENT_THRESHOLD = 30
LISTED = 20
"""With the table attached, each list of grids shows this many, then how many more."""
_DASH = "—"
_UNSET = object()
_BLANK = Line("")


def needs_attachment(digest: Digest, threshold: int = ATTACHMENT_THRESHOLD) -> bool:
    """Whether the per-grid table is too long to list (the caller attaches a spreadsheet)."""
    return len(digest.grids) > threshold


def render_digest(
    digest: Digest,
    locale: Locale,
    *,
    max_chars: int = TELEGRAM_LIMIT,
    table_attached: bool = False,
) -> list[str]:
    """Telegram HTML messages, each at most ``max_chars`` long, cut between lines.

    With ``table_attached`` the per-grid section is one line saying the table is attached.
    """
    return to_messages(_lines(digest, locale, table_attached=table_attached), max_chars)


def render_plain(digest: Digest, locale: Locale, *, table_attached: bool = False) -> str:
    """The digest as plain text, for a terminal."""
    return "\n".join(line.text for line in _lines(digest, locale, table_attached=table_attached))


# --- sections ------------------------------------------------------------------------------


def _lines(digest: Digest, locale: Locale, *, table_attached: bool) -> list[Line]:
    title = t(locale, "digest.title", area=digest.area.name, day=digest.day.isoformat())
    return [
        Line(title, bold=True),
        *_status(digest, locale, bounded=table_attached),
        *_attention(digest, locale),
        *_totals(digest, locale, bounded=table_attached),
        *_roll_up(digest, locale),
        *_grids(digest, locale, attached=table_attached),
        *_corrections(digest, locale, bounded=table_attached),
        *_requests(digest, locale, bounded=table_attached),
        *_weekly(digest, locale, bounded=table_attached),
        _BLANK,
        Line(t(locale, "digest.ledger")),
    ]


def _heading(text: str) -> list[Line]:
    return [_BLANK, Line(text, bold=True, keep=True)]


def _status(digest: Digest, locale: Locale, *, bounded: bool) -> list[Line]:
    status = digest.status
    now = status.completeness
    lines = [*_heading(t(locale, "digest.status.heading"))]
    if digest.reporting_day:
        lines += [Line(_summary(locale, now)), Line(_rates(locale, now, status.yesterday))]
    else:
        off_day = t(locale, "digest.status.not_reporting_day", reported=now.reported)
        lines.append(Line(off_day))
    if status.late:
        lines.append(Line(t(locale, "digest.status.late", count=len(status.late)), keep=True))
        both = "digest.status.item_late_zero"
        lines += _listed(
            locale, [_filed(digest, locale, d, both=both) for d in status.late], bounded
        )
    if status.zero:
        lines.append(Line(t(locale, "digest.status.zero", count=len(status.zero)), keep=True))
        both = "digest.status.item_zero_late"
        lines += _listed(
            locale, [_filed(digest, locale, d, both=both) for d in status.zero], bounded
        )
    if status.missing:
        lines.append(Line(t(locale, "digest.status.missing", count=len(status.missing)), keep=True))
        lines += _listed(
            locale, [_missing(digest, locale, item) for item in status.missing], bounded
        )
    if status.excused:
        lines.append(Line(t(locale, "digest.status.excused", count=len(status.excused)), keep=True))
        lines += _listed(locale, [_excused(digest, locale, day) for day in status.excused], bounded)
    return lines


def _summary(locale: Locale, now: Completeness) -> str:
    return t(
        locale,
        "digest.status.summary",
        expected=now.expected,
        reported=now.reported,
        on_time=now.on_time,
        late=now.late,
        missing=now.missing,
        excused=now.excused,
    )


def _listed(locale: Locale, lines: list[Line], bounded: bool) -> list[Line]:
    """``lines``, or with ``bounded`` the first :data:`LISTED` and how many more the attached
    table holds (a district's digest stays a few messages)."""
    if not bounded or len(lines) <= LISTED:
        return lines
    more = Line(t(locale, "digest.bounded.more", count=len(lines) - LISTED))
    return [*lines[:LISTED], more]


def _rates(locale: Locale, now: Completeness, before: Completeness | None) -> str:
    reporting, on_time = percent(now.reporting_rate), percent(now.on_time_rate)
    if before is None:
        return t(locale, "digest.status.rates", reporting=reporting, on_time=on_time)
    return t(
        locale,
        "digest.status.rates_yesterday",
        reporting=reporting,
        reporting_yesterday=percent(before.reporting_rate),
        on_time=on_time,
        on_time_yesterday=percent(before.on_time_rate),
    )


def _filed(digest: Digest, locale: Locale, day: GridDay, *, both: str) -> Line:
    """A late or zero report with its time; ``both`` is the key used when it is late and zero."""
    key = both if day.is_late and day.is_zero else "digest.status.item"
    return Line(
        t(locale, key, grid=_name(digest, locale, day.grid), time=_clock(digest, day.submitted_at))
    )


def _missing(digest: Digest, locale: Locale, missing: MissingGrid) -> Line:
    shown = (
        t(locale, "notices.unreachable", worker=name) if name in missing.unreachable else name
        for name in missing.workers
    )
    workers = listing(locale, shown) or t(locale, "digest.status.no_workers")
    key = (
        "digest.status.missing_item_again"
        if missing.missing_yesterday
        else "digest.status.missing_item"
    )
    grid_day = missing.day
    name = _name(digest, locale, grid_day.grid)
    text = t(locale, key, grid=name, workers=workers, reminders=grid_day.reminders)
    return Line(text, bold=True)


def _excused(digest: Digest, locale: Locale, day: GridDay) -> Line:
    reason = day.excused_reason or ""
    name = _name(digest, locale, day.grid)
    return Line(t(locale, "digest.status.excused_item", grid=name, reason=reason))


def _attention(digest: Digest, locale: Locale) -> list[Line]:
    lines = _heading(t(locale, "digest.attention.heading"))
    attention = digest.attention
    if attention.empty:
        return [*lines, Line(t(locale, "digest.none"))]
    for incident in attention.incidents:
        params = {
            "grid": _name(digest, locale, incident.grid),
            "time": _clock(digest, incident.at),
            "category": _category(digest, locale, incident.category),
            "description": incident.description,
        }
        passed_up = incident.passed_up_at is not None
        params["passed_up_at"] = _clock(digest, incident.passed_up_at)
        if incident.acknowledged:
            key = (
                "notices.digest.incident_acknowledged_passed_up"
                if passed_up
                else "digest.attention.incident_acknowledged"
            )
            by = {
                "by": incident.acknowledged_by,
                "acknowledged_at": _clock(digest, incident.acknowledged_at),
            }
            lines.append(Line(t(locale, key, **by, **params)))
        else:
            key = (
                "notices.digest.incident_open_passed_up"
                if passed_up
                else "digest.attention.incident_open"
            )
            lines.append(Line(t(locale, key, **params), bold=True))
    for negative in attention.negative_stocks:
        field = digest.form.field(negative.key)
        text = t(
            locale,
            "digest.attention.negative_stock",
            grid=_name(digest, locale, negative.grid),
            label=field.label(locale),
            value=quantity(field, locale, negative.closing),
        )
        lines.append(Line(text, bold=True))
    return lines


def _totals(digest: Digest, locale: Locale, *, bounded: bool) -> list[Line]:
    lines = _heading(t(locale, "digest.totals.heading"))
    compared = digest.status.yesterday is not None  # no "vs yesterday" on the first day
    for total in digest.totals.fields:
        lines.append(Line(_total(digest, locale, total, compared=compared)))
    carried = digest.totals.carried
    more = len(carried) - LISTED if bounded else 0
    shown = carried[:LISTED] if more > 0 else carried
    if shown:
        grids = listing(locale, (_name(digest, locale, grid) for grid in shown))
        if more > 0:
            lines.append(Line(t(locale, "digest.bounded.carried", grids=grids, more=more)))
        else:
            lines.append(Line(t(locale, "digest.totals.carried", grids=grids)))
    return lines


def _total(
    digest: Digest, locale: Locale, total: CountTotal | StockTotal, *, compared: bool
) -> str:
    """One total; "not asked yesterday" instead of a change against a day that had no such
    question, and "since" when the cumulative figure starts after the first form."""
    field = digest.form.field(total.key)
    label = field.label(locale)
    change = total.change
    if isinstance(total, CountTotal):
        cumulative = str(total.cumulative)
        if total.since is not None:
            cumulative = t(
                locale,
                "formversion.cumulative_since",
                value=cumulative,
                day=total.since.isoformat(),
            )
        params = {
            "label": label,
            "today": quantity(field, locale, total.today),
            "cumulative": cumulative,
        }
        if not compared:
            return t(locale, "digest.totals.count_first", **params)
        if change is None:
            return t(locale, "formversion.totals.count_new", **params)
        return t(locale, "digest.totals.count", change=_change(change), **params)
    current = quantity(field, locale, total.current)
    if not compared:
        return t(locale, "digest.totals.stock_first", label=label, current=current)
    if change is None:
        return t(locale, "formversion.totals.stock_new", label=label, current=current)
    return t(locale, "digest.totals.stock", label=label, current=current, change=_change(change))


def _roll_up(digest: Digest, locale: Locale) -> list[Line]:
    if not digest.sub_areas:
        return []
    lines = _heading(t(locale, "digest.rollup.heading"))
    for area_line in digest.sub_areas:
        lines.extend(_area_line(digest, locale, area_line))
    return lines


def _area_line(digest: Digest, locale: Locale, line: AreaLine) -> list[Line]:
    counts = line.completeness
    name = _area_name(digest, locale, line)
    text = t(
        locale,
        "digest.rollup.line",
        area=name,
        expected=counts.expected,
        reported=counts.reported,
        missing=counts.missing,
        excused=counts.excused,
        reporting=percent(counts.reporting_rate),
        on_time=percent(counts.on_time_rate),
    )
    lines = [Line(text)]
    if line.figures:
        figures = _figures(digest, locale, line.figures)
        name = _area_name(digest, locale, line)
        lines.append(Line(t(locale, "notices.rollup_figures", area=name, figures=figures)))
    return lines


def _area_name(digest: Digest, locale: Locale, line: AreaLine) -> str:
    if line.direct:
        return t(locale, "digest.rollup.direct", area=digest.area.name)
    return line.area.name


def _grids(digest: Digest, locale: Locale, *, attached: bool) -> list[Line]:
    lines = _heading(t(locale, "digest.grids.heading"))
    if attached:
        return [*lines, Line(t(locale, "digest.grids.attached", count=len(digest.grids)))]
    group: object = _UNSET
    for grid_line in digest.grids:
        if digest.sub_areas and grid_line.sub_area != group:
            group = grid_line.sub_area
            lines.append(Line(_group_name(digest, locale, grid_line.sub_area), True, True))
        lines.append(_grid_line(digest, locale, grid_line))
    return lines


def _group_name(digest: Digest, locale: Locale, sub_area: Area | None) -> str:
    if sub_area is None:
        name = t(locale, "digest.rollup.direct", area=digest.area.name)
    else:
        name = sub_area.name
    return t(locale, "digest.grids.sub_area", area=name)


def _grid_line(digest: Digest, locale: Locale, line: GridLine) -> Line:
    items = [_figure(digest, locale, figure) for figure in line.figures]
    if line.incidents:
        items.append(t(locale, "digest.grids.incidents", count=line.incidents))
    status = _grid_status(digest, locale, line)
    inside = None if line.sub_area is None else line.sub_area.path
    name = _name(digest, locale, line.today.grid, inside=inside)
    if items:
        figures = t(locale, "digest.grids.figure_sep").join(items)
        text = t(locale, "digest.grids.line_figures", grid=name, status=status, figures=figures)
    else:
        text = t(locale, "digest.grids.line", grid=name, status=status)
    return Line(text, bold=line.today.is_missing)


def _grid_status(digest: Digest, locale: Locale, line: GridLine) -> str:
    day = line.today
    status = day.status
    label = status.label(locale)
    if status == DayStatus.MISSING:
        again = line.yesterday is not None and line.yesterday.is_missing
        key = "digest.grids.missing_again" if again else "digest.grids.missing"
        return t(locale, key, status=label, reminders=day.reminders)
    if status == DayStatus.EXCUSED:
        return t(locale, "digest.grids.excused", status=label, reason=day.excused_reason or "")
    key = "digest.grids.late_zero" if day.is_late and day.is_zero else "digest.grids.reported"
    return t(locale, key, status=label, time=_clock(digest, day.submitted_at))


def _corrections(digest: Digest, locale: Locale, *, bounded: bool) -> list[Line]:
    """Each correction since the last digest with what it changed; with ``bounded`` the
    first :data:`LISTED` and how many more (a district corrects hundreds of reports a day;
    the ledger's corrections table has them all)."""
    lines = _heading(t(locale, "digest.corrections.heading"))
    if not digest.corrections:
        return [*lines, Line(t(locale, "digest.none"))]
    shown = digest.corrections[:LISTED] if bounded else digest.corrections
    for correction in shown:
        lines.append(_correction_head(digest, locale, correction))
        changes = _correction_changes(digest, locale, correction)
        if not changes:
            lines.append(Line(t(locale, "digest.corrections.unchanged")))
        lines.extend(Line(t(locale, "digest.corrections.change", change=c)) for c in changes)
    if len(shown) < len(digest.corrections):
        more = len(digest.corrections) - len(shown)
        lines.append(Line(t(locale, "digest.bounded.more_corrections", count=more)))
    return lines


def _correction_head(digest: Digest, locale: Locale, correction: Correction) -> Line:
    params = {
        "grid": _name(digest, locale, correction.grid),
        "day": correction.day.isoformat(),
        "by": correction.by,
        "at": _clock(digest, correction.at),
    }
    if correction.reason:
        return Line(t(locale, "digest.corrections.item", reason=correction.reason, **params))
    return Line(t(locale, "digest.corrections.item_no_reason", **params))


def _correction_changes(digest: Digest, locale: Locale, correction: Correction) -> list[str]:
    """Report type, answers, then typed opening balances: each one that changed."""
    changes = []
    if correction.old_kind != correction.new_kind:
        old, new = _kind(locale, correction.old_kind), _kind(locale, correction.new_kind)
        changes.append(t(locale, "digest.corrections.kind", old=old, new=new))
    form = digest.forms.form_for(correction.day)
    changes.extend(diff_lines(form, locale, correction.old, correction.new))
    for stock in form.stocks():
        before = correction.old_baseline.get(stock.key)
        after = correction.new_baseline.get(stock.key)
        if before != after:
            changes.append(
                t(
                    locale,
                    "digest.corrections.opening",
                    label=stock.label(locale),
                    old=_number(locale, before),
                    new=_number(locale, after),
                )
            )
    return changes


def _requests(digest: Digest, locale: Locale, *, bounded: bool) -> list[Line]:
    lines = _heading(t(locale, "digest.requests.heading"))
    if not digest.requests:
        return [*lines, Line(t(locale, "digest.none"))]
    labelled = sum(field.kind == "text" for field in digest.form.fields) > 1
    items = []
    for request in digest.requests:
        grid, text = _name(digest, locale, request.grid), request.text
        if labelled:
            label = digest.form.field(request.key).label(locale)
            line = t(locale, "digest.requests.item_labelled", grid=grid, label=label, text=text)
        else:
            line = t(locale, "digest.requests.item", grid=grid, text=text)
        items.append(Line(line))
    return [*lines, *_listed(locale, items, bounded)]


def _weekly(digest: Digest, locale: Locale, *, bounded: bool) -> list[Line]:
    tally = digest.weekly
    if tally is None:
        return []
    first, last = tally.first_day.isoformat(), tally.last_day.isoformat()
    lines = _heading(t(locale, "digest.weekly.heading", first=first, last=last))
    if not tally.offenders:
        return [*lines, Line(t(locale, "digest.weekly.clean"))]
    items = []
    for row in tally.offenders:
        text = t(
            locale,
            "digest.weekly.item",
            grid=_name(digest, locale, row.grid),
            missing=row.missing,
            late=row.late,
        )
        items.append(Line(text))
    if bounded and len(items) > LISTED:
        more = t(locale, "digest.bounded.more_grids", count=len(items) - LISTED)
        items = [*items[:LISTED], Line(more)]
    return [*lines, *items]


# --- values --------------------------------------------------------------------------------


def _clock(digest: Digest, moment: datetime | None) -> str:
    """HH:MM in the digest's zone; with the date when it is not the digest's day."""
    if moment is None:
        return _DASH
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: times must be timezone-aware")
    local = moment.astimezone(digest.tz)
    return local.strftime("%H:%M" if local.date() == digest.day else "%Y-%m-%d %H:%M")


def _change(delta: int) -> str:
    """``+3`` / ``−2`` / ``±0``."""
    if delta > 0:
        return f"+{delta}"
    return f"−{-delta}" if delta < 0 else "±0"


def _figure(digest: Digest, locale: Locale, figure: Figure) -> str:
    field = digest.form.field(figure[0])
    value = quantity(field, locale, figure[1])
    return t(locale, "digest.grids.figure", label=field.label(locale), value=value)


def _figures(digest: Digest, locale: Locale, figures: Sequence[Figure]) -> str:
    parts = [_figure(digest, locale, figure) for figure in figures]
    return t(locale, "digest.grids.figure_sep").join(parts)


def _name(digest: Digest, locale: Locale, grid: Grid, *, inside: str | None = None) -> str:
    """The grid's name as the digest's readers need it (see :mod:`bot.domain.grid_names`)."""
    return grid_name(grid, locale, within=digest.area.path, clashes=digest.clashes, inside=inside)


def _category(digest: Digest, locale: Locale, key: str) -> str:
    if digest.form.has_category(key):
        return digest.form.category(key).label(locale)
    return key


def _kind(locale: Locale, kind: ReportKind) -> str:
    if kind == ReportKind.ZERO:
        return t(locale, "digest.corrections.kind_zero")
    return t(locale, "digest.corrections.kind_detailed")


def _number(locale: Locale, value: int | None) -> str:
    return t(locale, "form.summary.blank") if value is None else str(value)
