"""A font that draws Chinese, found on this machine, or English labels instead.

Matplotlib's own fonts have no CJK glyphs: Chinese drawn with them comes out as empty boxes
(tofu). We look for an installed CJK font (Debian's ``fonts-wqy-zenhei``, which ``make``
installs where it can, or Noto/Source Han, etc.) and check that it really has the glyphs.
Without one, charts are labelled in English and one warning says so.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.i18n import Locale

log = logging.getLogger(__name__)
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
"""WenQuanYi ships one weight: matplotlib's "using weight 500 instead of bold" is not news."""

FAMILIES = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
"""Known CJK families, preferred first."""
FILE_HINTS = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback", "uming")
"""File names of CJK fonts, for fonts installed after matplotlib cached its font list."""
PROBE = "网格报送率"
"""Characters a usable font must draw."""


@cache
def cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, or None."""
    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in FAMILIES:
        path = known.get(family)
        if path and _draws_chinese(path):
            return family
    for path in font_manager.findSystemFonts():
        squashed = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in squashed for hint in FILE_HINTS) and _draws_chinese(path):
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def drawing_locale(locale: Locale) -> tuple[Locale, str | None]:
    """The language a chart can be labelled in here, and the font to draw it with.

    Chinese needs a CJK font; without one the chart is labelled in English (warned once).
    """
    font = cjk_font()
    if font is None and locale == "zh_CN":
        _warn_once()
        return "en", None
    return locale, font


@cache
def _warn_once() -> None:
    log.warning("no Chinese font found (install fonts-wqy-zenhei): charts are labelled in English")


def _draws_chinese(path: str) -> bool:
    try:
        face = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(face.get_char_index(ord(char)) for char in PROBE)
