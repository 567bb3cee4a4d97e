"""Numbers as a reader of one language writes them: the one formatter of reports, briefs and figures.

English writes ``+4.6 [0, +18]`` and ``42%``; Dutch writes ``+4,6 [0; +18]`` and ``42%``: a
decimal comma, and a semicolon between the bounds of an interval because the comma is taken.
Every number a template, a figure or a sentence of the brief prints goes through this module,
so that no decimal point slips into Dutch text.

Rounding rules (the same in every language)
    :func:`sig`: two significant digits, at most four decimals, never an exponent.
    :func:`pct`: a probability as a whole percentage.
    :func:`pp`: a difference of probabilities in signed percentage points, two significant
    digits and at most one decimal.
    :func:`fixed`: a fixed number of decimals (diagnostics, elpd).

Missing values (None or NaN) print as ``–``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def interval(summary, one, lang: str = "en") -> str:
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
