"""Krippendorff's alpha computed from the coincidence matrix (bayesstreams.data.alpha), held to published numbers.

* Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers, 12
  units, missing values; the paper gives nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797,
  and the coincidence matrix of the nominal case (written out below).
* ``tests/data/agreement/krippendorff_0_9_0.json``: random value counts with the alpha the GPL
  ``krippendorff`` package (0.9.0) gave before bayesstreams stopped depending on it.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data import alpha as ka

N = np.nan
# rows: observers A-D; columns: units 1-12 (Krippendorff 2011, section C)
PAPER = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
                  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
                  [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
                  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]])
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
REFERENCE = json.loads((Path(__file__).parent / "data" / "agreement" / "krippendorff_0_9_0.json").read_text())


@pytest.mark.parametrize("level", ka.LEVELS)
def test_the_worked_example_of_krippendorff_2011(level):
    assert round(ka.alpha(reliability_data=PAPER, level=level), 3) == PUBLISHED[level]


def test_the_coincidence_matrix_of_the_worked_example():
    """The paper's coincidences (values 1-5): unit 6 (codes 1, 2, 3, 4) puts 1/3 on each of its pairs, unit 12
    (one code) drops out; marginals 9, 13, 10, 5, 3 and n = 40 pairable values."""
    counts, values = ka.counts_from_reliability_data(PAPER)
    assert values.tolist() == [1, 2, 3, 4, 5]
    t = Fraction(1, 3)
    paper = [[7, 4 * t, t, t, 0],
             [4 * t, 10, 4 * t, t, 0],
             [t, 4 * t, 8, t, 0],
             [t, t, t, 4, 0],
             [0, 0, 0, 0, 3]]
    assert ka.coincidences(counts) == pytest.approx(np.array(paper, dtype=float), abs=1e-12)
    assert ka.coincidences(counts).sum() == pytest.approx(40)


@pytest.mark.parametrize("index", range(len(REFERENCE["sets"])))
def test_equal_to_the_gpl_package_it_replaces(index):
    """Random value counts (some units empty, value domains with gaps and negatives) give the package's alpha."""
    case = REFERENCE["sets"][index]
    levels = [level for level in ka.LEVELS if level in case]
    assert {"nominal", "ordinal", "interval"} <= set(levels)
    for level in levels:
        got = ka.alpha(np.array(case["value_counts"]), values=case["value_domain"], level=level)
        assert got == pytest.approx(case[level], abs=1e-12), level


def test_units_coded_once_change_nothing_and_units_are_exchangeable():
    counts, values = ka.counts_from_reliability_data(PAPER)
    single = np.zeros((3, len(values)), dtype=int)
    single[[0, 1, 2], [4, 0, 2]] = 1  # three units with one code each
    for level in ka.LEVELS:
        base = ka.alpha(counts, values=values, level=level)
        assert ka.alpha(np.vstack([counts, single]), values=values, level=level) == pytest.approx(base, abs=1e-14)
        assert ka.alpha(counts[::-1], values=values, level=level) == pytest.approx(base, abs=1e-14)


def test_perfect_agreement_is_one_and_systematic_disagreement_is_negative():
    agree = np.array([[2, 0, 0], [0, 3, 0], [0, 0, 2]])
    assert {ka.alpha(agree, values=[-1, 0, 1], level=lv) for lv in ka.LEVELS[:3]} == {1.0}
    # every unit split between -1 and +1: worse than chance
    split = np.array([[1, 0, 1]] * 4)
    assert ka.alpha(split, values=[-1, 0, 1], level="nominal") < 0
    # a -1 against a +1 weighs more at the interval level than a -1 against a 0 does
    near, far = np.array([[1, 1, 0], [0, 2, 0], [0, 0, 2], [2, 0, 0]]), np.array([[1, 0, 1], [0, 2, 0], [0, 0, 2], [2, 0, 0]])
    assert ka.alpha(far, values=[-1, 0, 1], level="interval") < ka.alpha(near, values=[-1, 0, 1], level="interval")


def test_undefined_without_pairs_or_without_variation():
    values = [-1, 0, 1]
    for level in ka.LEVELS:
        assert np.isnan(ka.alpha(np.array([[1, 0, 0], [0, 0, 1]]), values=values, level=level))  # no pairable unit
        assert np.isnan(ka.alpha(np.array([[0, 0, 2], [0, 0, 3]]), values=values, level=level))  # one value only
        assert np.isnan(ka.alpha(np.zeros((0, 3)), values=values, level=level))


def test_batched_coincidences_give_each_batch_its_own_alpha():
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 4, size=(6, 10, 3))
    o = ka.coincidences(counts)
    assert o.shape == (6, 3, 3)
    for level in ka.LEVELS[:3]:
        batch = ka.alpha_from_coincidences(o, [-1, 0, 1], level)
        one_by_one = [ka.alpha(c, values=[-1, 0, 1], level=level) for c in counts]
        assert batch == pytest.approx(one_by_one, abs=1e-14, nan_ok=True)


def test_bad_input_says_what_is_wrong():
    with pytest.raises(ValueError, match="not in the value domain"):
        ka.alpha(reliability_data=[[1, 2], [1, 3]], values=[1, 2])
    with pytest.raises(ValueError, match="need their values"):
        ka.alpha(np.ones((2, 3)))
    with pytest.raises(ValueError, match="not one of"):
        ka.alpha(np.ones((2, 3)), values=[1, 2, 3], level="cardinal")
