"""Numbers as a reader of each language writes them: the one formatter of reports, briefs, figures and ``score``.

* ``nl`` writes a decimal comma (``0,28``), ``en`` a decimal point (``0.28``);
* a probability is shown as a whole percentage (``28%``), never as ``0.28``.

Two families share these rules:

For sentences and the terminal (``score``)
    :func:`number`, :func:`percent` and :func:`interval`: a negative number takes the Unicode
    minus sign (``−3``), an interval reads ``12% to 45%`` / ``12% tot 45%``, and an unknown
    value (NaN) prints as ``?``.  Rounding is to the shown digits first, so ``-0.004`` prints
    as ``0`` and never as ``−0``.

For the report's and the brief's tables
    :func:`sig` (two significant digits, at most four decimals, never an exponent),
    :func:`pct` (whole percent), :func:`pp` (signed percentage points, two significant digits,
    at most one decimal), :func:`fixed`, :func:`plain` and :func:`summary_interval`, which
    writes ``mean [q05, q95]`` in English and ``mean [q05; q95]`` in Dutch (the comma is taken
    by the decimals): ``+4.6 [0, +18]`` / ``+4,6 [0; +18]``.  Missing values (None or NaN)
    print as ``–``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MINUS = "\u2212"
DECIMAL = {"en": ".", "nl": ","}
# The word between the ends of an interval: locale data like the decimal mark, not prose.
TO = {"en": "to", "nl": "tot"}
UNKNOWN = "?"


def _check(lang: str) -> str:
    if lang not in DECIMAL:
        raise ValueError(f"no number format for language {lang!r} (choose {' or '.join(DECIMAL)})")
    return lang


def number(x: float, lang: str = "en", digits: int = 0, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals in the notation of ``lang``.

    Parameters
    ----------
    x
        The value.
    lang
        ``"en"`` or ``"nl"``.
    digits
        Decimals shown (rounded half to even, as Python rounds).
    sign
        Prefix ``+`` to a positive value (for differences and gains); zero has no sign.

    Examples
    --------
    >>> number(-1234.5678, "nl", 2)
    '−1234,57'
    >>> number(0.5, "en", 1, sign=True)
    '+0.5'
    >>> number(-0.0004, "en", 2)
    '0.00'
    """
    _check(lang)
    if x is None or not math.isfinite(float(x)):
        return UNKNOWN
    text = f"{abs(float(x)):.{digits}f}"
    rounded_zero = float(text) == 0.0
    prefix = "" if rounded_zero else MINUS if x < 0 else "+" if sign else ""
    return prefix + text.replace(".", DECIMAL[lang])


def percent(p: float, lang: str = "en", digits: int = 0, sign: bool = False) -> str:
    """A probability (or a difference of probabilities) as a percentage.

    Examples
    --------
    >>> percent(0.28, "en")
    '28%'
    >>> percent(0.1234, "nl", 1)
    '12,3%'
    >>> percent(-0.05, "nl", sign=True)
    '−5%'
    """
    text = number(None if p is None else 100.0 * float(p), lang, digits, sign)
    return text if text == UNKNOWN else text + "%"


def interval(low: float, high: float, lang: str = "en", digits: int = 0, as_percent: bool = True,
             sign: bool = False) -> str:
    """Two ends of an interval joined by the word of ``lang``.

    Examples
    --------
    >>> interval(0.12, 0.45, "nl")
    '12% tot 45%'
    >>> interval(-0.012, 0.3, "en", as_percent=False, digits=2, sign=True)
    '−0.01 to +0.30'
    """
    show = percent if as_percent else number
    return f"{show(low, lang, digits, sign)} {TO[_check(lang)]} {show(high, lang, digits, sign)}"


# ---------------------------------------------------------------------------- report and brief tables

MISSING = "–"


@dataclass(frozen=True)
class NumberStyle:
    """How one language writes a decimal number and an interval."""

    decimal: str
    interval_sep: str


STYLES = {"en": NumberStyle(decimal=".", interval_sep=", "), "nl": NumberStyle(decimal=",", interval_sep="; ")}


def style(lang: str) -> NumberStyle:
    """The number style of ``lang`` (``"en"`` or ``"nl"``)."""
    try:
        return STYLES[lang]
    except KeyError:
        raise KeyError(f"no number style for language {lang!r} (choose {' or '.join(STYLES)})") from None


def missing(x) -> bool:
    """True for None and NaN: what the report prints as ``–``."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _localise(text: str, lang: str) -> str:
    return text.replace(".", style(lang).decimal)


def sig(x, lang: str = "en", digits: int = 2, max_decimals: int = 4) -> str:
    """``x`` with ``digits`` significant digits but at most ``max_decimals`` decimals.

    Values that round to zero print as ``0``; ``9.98`` prints as ``10`` (rounded first).
    """
    if missing(x):
        return MISSING
    x = float(x)
    if round(x, max_decimals) == 0:
        return "0"
    rounded = float(f"{x:.{digits - 1}e}")
    decimals = min(max_decimals, max(0, digits - 1 - math.floor(math.log10(abs(rounded)))))
    text = f"{x:.{decimals}f}"
    return "0" if float(text) == 0 else _localise(text, lang)


def pct(p, lang: str = "en") -> str:
    """A probability as a whole percentage: ``0.423`` -> ``42%``."""
    if missing(p):
        return MISSING
    text = f"{100 * float(p):.0f}"
    return ("0" if text == "-0" else text) + "%"


def pp(d, lang: str = "en") -> str:
    """A difference of probabilities in signed percentage points: ``0.0123`` -> ``+1.2`` (``+1,2`` in Dutch)."""
    if missing(d):
        return MISSING
    text = sig(100 * float(d), lang, max_decimals=1)
    return text if text.startswith("-") or text == "0" else "+" + text


def fixed(x, decimals: int = 2, lang: str = "en") -> str:
    """``x`` with a fixed number of decimals."""
    return MISSING if missing(x) else _localise(f"{float(x):.{decimals}f}", lang)


def plain(x, lang: str = "en") -> str:
    """``x`` as short as it is exact to six digits (a threshold such as ``1.01`` or ``400``)."""
    return MISSING if missing(x) else _localise(f"{float(x):g}", lang)


def summary_interval(summary, one, lang: str = "en") -> str:
    """``mean [q05, q95]`` (Dutch ``mean [q05; q95]``) of a summary with ``mean``, ``q05`` and ``q95``.

    ``one`` formats one number, e.g. :func:`pct` or :func:`pp`.
    """
    if summary is None:
        return MISSING
    get = summary.get if isinstance(summary, dict) else lambda key: getattr(summary, key)
    sep = style(lang).interval_sep
    return f"{one(get('mean'), lang)} [{one(get('q05'), lang)}{sep}{one(get('q95'), lang)}]"


def pct_span(low, high) -> str:
    """A range of probabilities in whole percent, the sign once: ``(0.05, 0.3)`` -> ``5–30%``."""
    if missing(low) or missing(high):
        return MISSING
    return f"{pct(low)[:-1]}–{pct(high)}"
