"""The number formatter of reports, briefs and ``score``: decimal comma for Dutch, percentages, minus sign."""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.reporting import numbers
from bayesstreams.reporting.numbers import MINUS, interval, number, percent

from .helpers import run_doctests


def test_docstring_examples_run():
    run_doctests(numbers, minimum=8)


@pytest.mark.parametrize("x, lang, digits, sign, expected", [
    (0.28, "en", 2, False, "0.28"), (0.28, "nl", 2, False, "0,28"),
    (-3.14159, "nl", 1, False, MINUS + "3,1"), (-3.14159, "en", 3, False, MINUS + "3.142"),
    (4.6, "nl", 1, True, "+4,6"), (0.0, "en", 1, True, "0.0"), (-0.04, "en", 1, True, "0.0"),
    (12.0, "nl", 0, False, "12"), (1234567.891, "nl", 2, False, "1234567,89"),
    (float("nan"), "nl", 2, False, "?"), (None, "en", 0, False, "?"),
])
def test_number(x, lang, digits, sign, expected):
    assert number(x, lang, digits, sign) == expected


@pytest.mark.parametrize("p, lang, digits, sign, expected", [
    (0.28, "en", 0, False, "28%"), (0.28, "nl", 0, False, "28%"), (0.1234, "nl", 1, False, "12,3%"),
    (0.999, "en", 0, False, "100%"), (0.004, "en", 0, False, "0%"), (-0.05, "nl", 0, True, MINUS + "5%"),
    (0.05, "en", 0, True, "+5%"), (float("nan"), "en", 0, False, "?"),
])
def test_percent(p, lang, digits, sign, expected):
    assert percent(p, lang, digits, sign) == expected


def test_interval_uses_a_word_not_a_comma_or_dash():
    assert interval(0.12, 0.45, "nl") == "12% tot 45%"
    assert interval(0.12, 0.45, "en") == "12% to 45%"
    assert interval(-1.25, 3.5, "nl", digits=1, as_percent=False, sign=True) == f"{MINUS}1,2 tot +3,5"


def test_dutch_numbers_read_back_as_the_rounded_value():
    rng = np.random.default_rng(3)
    for x in rng.normal(scale=50, size=300):
        for digits in (0, 1, 2):
            text = number(x, "nl", digits)
            assert "." not in text and "-" not in text
            back = float(text.replace(MINUS, "-").replace(",", "."))
            assert back == pytest.approx(round(x, digits), abs=10 ** -digits / 2 + 1e-12)
            assert not text.startswith(MINUS) or back < 0  # never a minus on a value shown as zero


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr"):
        number(1.0, "fr")
