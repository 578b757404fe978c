"""Reading a count typed on a phone.

Workers answer on the street, with whatever keyboard is open: full-width digits (１２),
Chinese numerals (十二, 两千三), a unit (12人), stray spaces. All of that is accepted.
What a hand-made report gets wrong is refused, each with its own message that quotes the
text and shows what to send instead: placeholders (``x``, ``??``, ``若干``), approximations
(``300余``, ``约50``, ``50-60``), decimals, negative numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from bot.i18n import Locale, localized, t

DEFAULT_EXAMPLE = 12
"""The example shown when nothing better can be read from the refused text."""

LIMIT = 999_999_999
"""No grid counts a billion of anything: the ceiling when no maximum is given."""

_QUOTE_LENGTH = 30
_MAX_INPUT = 100

_PLACEHOLDER_CHARS = re.compile(r"[x×*_?\-—–―/.·]+")
_PLACEHOLDER_WORDS = frozenset(
    {"若干", "不详", "未知", "待定", "不清楚", "不知道", "待统计", "待核实"}
    | {"n/a", "na", "tbd", "unknown", "null"}
)
_ZERO_WORDS = frozenset({"无", "没有", "没", "none", "no", "nobody", "nil", "zero"})
_VAGUE_WORDS = frozenset(
    {"一些", "少量", "许多", "很多", "多", "个别", "部分", "some", "several", "a few", "few"}
    | {"many", "dozens", "lots"}
)
_TRAILING_PUNCTUATION = re.compile(r"[。!！;；,，.]+$")
_UNIT = re.compile(
    r"\s*(?:人次|户次|个人|人|户|次|个|名|例|起|处|辆|份|位|家"
    r"|people|persons?|households?|times?|rounds?)$"
)
_NEGATIVE = re.compile(r"^(?:-|−|负)\s*(.+)$")
_RANGE = re.compile(r"^(.+?)\s*(?:-|~|—|–|到|至|或)\s*(.+)$")
_CHINESE_RANGE = re.compile(r"^([一二两三四五六七八九])[一二两三四五六七八九]([十百千万]?)$")
_APPROX_PREFIX = re.compile(
    r"^(?:约为|约|大约|大概|估计|预计|将近|接近|近|差不多|上|超过|不到|不足|~|≈"
    r"|about|around|approx\.?|approximately|roughly|nearly|almost|over|under"
    r"|more than|less than|at least|up to|>=|<=|>|<|≥|≤)\s*"
)
_APPROX_SUFFIX = re.compile(
    r"\s*(?:余|多|来|几|左右|上下|以上|以下|开外|出头|\+|ish|or so|-odd|odd|plus|or more|\?)$"
)
_VAGUE_PARTS = re.compile(r"几|数十|数百|数千|数万")
_DECIMAL = re.compile(r"^(\d*)\.(\d+)$")
_CHINESE_DECIMAL = re.compile(r"^(.+)点(.+)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[, ]\d{3})+$")
_DIGITS_RUN = re.compile(r"\d+")
_TOKEN = re.compile(r"\d+|\s+|.")

_CHINESE_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_CHINESE_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_WAN = frozenset({"万", "萬"})
_CHINESE_CHARS = frozenset(_CHINESE_DIGITS) | frozenset(_CHINESE_UNITS) | _WAN


class InputError(Exception):
    """A refused answer: an i18n key (``form.error.*``) and the parameters of its message."""

    def __init__(
        self, key: str, params: Mapping[str, object] | None = None, /, **more: object
    ) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, object] = {**(params or {}), **more}

    def render(self, locale: Locale) -> str:
        """The message for the worker, in ``locale`` (localizable parameters, such as a
        form's labels, are rendered in it too)."""
        params = {key: localized(value, locale) for key, value in self.params.items()}
        return t(locale, self.key, **params)


def parse_count(text: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Read a non-negative whole number typed by a worker, or raise :class:`InputError`."""
    quoted = _quote(text)
    value = _read(text, quoted)
    ceiling = LIMIT if maximum is None else min(maximum, LIMIT)
    if value > ceiling:
        raise InputError("form.error.too_large", {"text": quoted, "maximum": ceiling})
    if value < minimum:
        raise InputError("form.error.too_small", {"text": quoted, "minimum": minimum})
    return value


def _quote(text: str) -> str:
    """The refused text as shown back to the worker (trimmed, at most a short line)."""
    shown = " ".join(text.split())
    return shown if len(shown) <= _QUOTE_LENGTH else shown[: _QUOTE_LENGTH - 1] + "…"


def _read(text: str, quoted: str) -> int:
    """Turn the text into a number, ignoring bounds."""
    s = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    if not s:
        raise InputError("form.error.empty", {"example": DEFAULT_EXAMPLE})
    if len(s) > _MAX_INPUT:
        raise InputError("form.error.not_a_number", {"text": quoted, "example": DEFAULT_EXAMPLE})
    _refuse_placeholder(s, quoted)
    s = _UNIT.sub("", _TRAILING_PUNCTUATION.sub("", s)).strip()
    _refuse_placeholder(s, quoted)
    if s in _ZERO_WORDS:
        return 0
    value = _exact(s)
    if value is not None:
        return value
    _refuse_inexact(s, quoted)
    raise InputError("form.error.not_a_number", {"text": quoted, "example": _any_number(s)})


def _refuse_placeholder(s: str, quoted: str) -> None:
    if s in _PLACEHOLDER_WORDS or _PLACEHOLDER_CHARS.fullmatch(s):
        raise InputError("form.error.placeholder", {"text": quoted, "example": DEFAULT_EXAMPLE})


def _refuse_inexact(s: str, quoted: str) -> None:
    """Raise the specific error for a negative, approximate or decimal figure, if it is one."""
    negative = _NEGATIVE.fullmatch(s)
    if negative:
        magnitude = _exact(negative[1])
        if magnitude is not None:
            raise InputError("form.error.negative", {"text": quoted, "example": magnitude})
    example = _approximation(s)
    if example is not None:
        raise InputError("form.error.approximate", {"text": quoted, "example": example})
    rounded = _decimal(s)
    if rounded is not None:
        raise InputError("form.error.decimal", {"text": quoted, "example": rounded})


def _approximation(s: str) -> int | None:
    """If ``s`` is an approximate figure, the nearest exact one to suggest; otherwise None."""
    pair = _RANGE.fullmatch(s)
    if pair:
        low, high = _exact(pair[1]), _exact(pair[2])
        if low is not None and high is not None:
            return low
    spoken_range = _CHINESE_RANGE.fullmatch(s)
    if spoken_range:
        return _exact(spoken_range[1] + spoken_range[2])
    core = s
    while True:
        stripped = _APPROX_SUFFIX.sub("", _APPROX_PREFIX.sub("", core, count=1), count=1)
        if stripped == core:
            break
        core = stripped.strip()
    if core != s:
        if not core or _is_vague(core):
            return DEFAULT_EXAMPLE
        value = _exact(core)
        if value is not None:
            return value
    return DEFAULT_EXAMPLE if _is_vague(s) else None


def _is_vague(s: str) -> bool:
    return s in _VAGUE_WORDS or _VAGUE_PARTS.search(s) is not None


def _decimal(s: str) -> int | None:
    """If ``s`` is a decimal number (12.5, 一点五), that number rounded; otherwise None."""
    match = _DECIMAL.fullmatch(s)
    if match:
        return int(Decimal(s).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    spoken = _CHINESE_DECIMAL.fullmatch(s)
    if spoken and all(ch in _CHINESE_DIGITS for ch in spoken[2]):
        return _exact(spoken[1])
    return None


def _any_number(s: str) -> int:
    """The first whole number found in ``s``, for the example of an unreadable answer."""
    run = _DIGITS_RUN.search(s)
    return int(run[0]) if run and len(run[0]) <= len(str(LIMIT)) else DEFAULT_EXAMPLE


def _exact(s: str) -> int | None:
    """An exact whole number written in digits (with separators) or Chinese numerals."""
    if s.isdecimal():
        return int(s)
    if _THOUSANDS.fullmatch(s):
        return int(s.replace(",", "").replace(" ", ""))
    if any(ch in _CHINESE_CHARS for ch in s):
        return _chinese(s)
    return None


def _chinese(s: str) -> int | None:
    """Read Chinese numerals (十二, 一百零五, 两千三, 一万二千), possibly mixed with digits (3万).

    A digit right after 百/千/万 without 零 is the next lower place, as spoken:
    三百五 = 350, 一万二 = 12000.
    """
    total = section = 0
    digit: int | None = None
    last_unit = 10**8
    previous = ""
    seen_wan = shortened = False
    for token in _TOKEN.findall(s):
        if token.isspace():
            continue
        if token in ("零", "〇"):
            if digit is not None:
                return None
            previous = "zero"
        elif token.isdecimal() or token in _CHINESE_DIGITS:
            if digit is not None:
                return None
            digit = int(token) if token.isdecimal() else _CHINESE_DIGITS[token]
            shortened, previous = previous == "unit", "digit"
        elif token in _CHINESE_UNITS:
            unit = _CHINESE_UNITS[token]
            if unit >= last_unit or (digit is not None and digit > 9):
                return None
            section += (1 if digit is None else digit) * unit
            digit, last_unit, previous = None, unit, "unit"
        elif token in _WAN:
            if seen_wan or (section == 0 and not digit):
                return None
            total = (section + (digit or 0)) * 10_000
            section, digit, last_unit, previous, seen_wan = 0, None, 10_000, "unit", True
        else:
            return None
    if digit is not None:
        section += digit * (last_unit // 10 if shortened and last_unit >= 100 else 1)
    return total + section if previous else None
