"""``gridbot chart``: draw an area's chart into a PNG file, the same picture the groups get.

``bot.cli`` adds it to its parser with :func:`add_command` and runs it through
:data:`COMMANDS`. A mistake raises :class:`ChartCommandError`, printed as one localized line.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.cli_output import file_to_write, writing
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.chart import DIGEST_DAYS, ChartRequest
from bot.domain.chart_args import field_keys, number_field
from bot.domain.dates import DateArgError, parse_day
from bot.domain.ledger import find_area
from bot.domain.models import Area
from bot.i18n import Locale, parse_locale, t
from bot.usecases.errors import UseCaseError
from bot.usecases.stats import all_areas

EXIT_OK = 0
MAX_DAYS = 366


class ChartCommandError(Exception):
    """A mistake in the arguments; ``str()`` is the line to print."""


def add_command(commands: Any, locale: Locale) -> None:
    """Add ``chart`` to the subcommands of ``gridbot``."""
    chart = commands.add_parser("chart", help=t(locale, "chart.cli.help"))
    chart.add_argument("--area", help=t(locale, "chart.cli.area_help"))
    chart.add_argument(
        "--days", type=int, default=DIGEST_DAYS, help=t(locale, "chart.cli.days_help")
    )
    chart.add_argument("--date", help=t(locale, "chart.cli.date_help"))
    chart.add_argument("--field", help=t(locale, "chart.cli.field_help"))
    chart.add_argument("--lang", help=t(locale, "chart.cli.lang_help"))
    chart.add_argument("--out", type=Path, required=True, help=t(locale, "chart.cli.out_help"))


async def run_chart(args: argparse.Namespace, settings: Settings) -> int:
    """``gridbot chart [--area PATH] [--days N] [--date D] [--field KEY] --out FILE.png``"""
    from bot.usecases.chart import draw_chart  # matplotlib: only for this command

    locale = settings.locale
    if args.lang:
        try:
            locale = parse_locale(args.lang)
        except ValueError:
            raise ChartCommandError(t(locale, "chart.cli.bad_lang", value=args.lang)) from None
    if not 1 <= args.days <= MAX_DAYS:
        raise ChartCommandError(t(locale, "chart.cli.bad_days", value=args.days, most=MAX_DAYS))
    out = file_to_write(args.out, locale, example="chart.png")
    async with open_dependencies(settings) as deps:
        try:
            day = parse_day(args.date, deps.today()) if args.date else deps.today()
        except DateArgError as error:
            raise ChartCommandError(t(locale, error.key, **error.params)) from None
        field = None
        if args.field:
            found = number_field(deps.form, args.field)
            if found is None:
                fields = ", ".join(field_keys(deps.form))
                raise ChartCommandError(
                    t(locale, "chart.cli.unknown_field", value=args.field, fields=fields)
                )
            field = found.key
        area = await _area(deps, args.area, locale)
        request = ChartRequest(area, day, args.days, field)
        try:
            chart = await draw_chart(deps, request, locale, highlight=day)
        except UseCaseError as error:
            raise ChartCommandError(t(locale, error.key, **error.params)) from None
    with writing(out, locale):
        await asyncio.to_thread(out.write_bytes, chart.png)
    print(
        t(
            locale,
            "chart.cli_written",
            path=out,
            width=chart.width,
            height=chart.height,
            days=len(chart.data.days),
        )
    )
    return EXIT_OK


async def _area(deps: Dependencies, text: str | None, locale: Locale) -> Area:
    areas = await all_areas(deps)
    tops = [area for area in areas if area.parent_id is None]
    found = find_area(areas, text) if text else (tops[0] if len(tops) == 1 else None)
    if found is None:
        known = ", ".join(area.path for area in areas) or "—"
        raise ChartCommandError(t(locale, "chart.cli.unknown_area", value=text or "", areas=known))
    return found


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {"chart": run_chart}
