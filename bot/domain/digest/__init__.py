"""The evening digest (汇总) of an area: compiled from plain data, rendered as text.

:func:`compile_digest` turns a :class:`DigestInput` (filled in by storage) into a
:class:`Digest`; :func:`render_digest` turns that into Telegram HTML messages and
:func:`render_plain` into plain text. The status of a grid-day and the completeness of an
area live in :mod:`bot.domain.status`.
"""

from bot.domain.digest.compile import compile_digest, compile_tree, sub_area_of
from bot.domain.digest.figures import GridNumbers, corrections_since, totals
from bot.domain.digest.model import (
    AreaLine,
    Attention,
    Correction,
    CountTotal,
    DayBefore,
    Digest,
    DigestInput,
    Figure,
    GridInput,
    GridLine,
    MissingGrid,
    NegativeStock,
    ReportingStatus,
    Request,
    SoFar,
    StockTotal,
    Totals,
    UrgentIncident,
)
from bot.domain.digest.render import needs_attachment, render_digest, render_plain

__all__ = [
    "AreaLine",
    "Attention",
    "Correction",
    "CountTotal",
    "DayBefore",
    "Digest",
    "DigestInput",
    "Figure",
    "GridInput",
    "GridLine",
    "GridNumbers",
    "MissingGrid",
    "NegativeStock",
    "ReportingStatus",
    "Request",
    "SoFar",
    "StockTotal",
    "Totals",
    "UrgentIncident",
    "compile_digest",
    "compile_tree",
    "corrections_since",
    "needs_attachment",
    "render_digest",
    "render_plain",
    "sub_area_of",
    "totals",
]
