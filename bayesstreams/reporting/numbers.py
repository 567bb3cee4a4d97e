"""Numbers as a reader of each language writes them: one tiny formatter for reports, briefs and ``score``.

* ``nl`` writes a decimal comma (``0,28``), ``en`` a decimal point (``0.28``);
* a negative number takes the Unicode minus sign (``−3``), as the reports print codes;
* a probability is shown as a whole percentage (``28%``), never as ``0.28``;
* an interval reads ``12% to 45%`` / ``12% tot 45%``: a comma or a dash between two
  numbers would be ambiguous next to a decimal comma or a minus sign.

Rounding is to the shown digits first, so ``-0.004`` prints as ``0`` and never as ``−0``.
A value that is not finite (NaN: unknown) prints as ``?``.
"""

from __future__ import annotations

import math

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
