"""Data support per factor and the raw view (MODEL.md §8), on hand-made data and the shipped study."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data import raw_view as raw_view_module
from bayesstreams.data import support as support_module
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.raw_view import raw_view
from bayesstreams.data.support import LABEL_DATA, LABEL_NO_DATA, LABEL_SEPARATING, data_support, observed_codes

from .fakes import make_dataset
from .helpers import run_doctests

ROOT = Path(__file__).resolve().parents[1]
NAN = float("nan")
# two factors per phase, one stream each: (id, phase, stream)
FACTORS = (("p1_a", 1, "problem"), ("p1_b", 1, "policy"), ("p2_c", 2, "problem"), ("p2_d", 2, "politics"))
W = np.array([[1, 1], [1, 0], [0, 0], [0, 0], [1, NAN]], dtype=float)


def dataset(x, s=None, w=W):
    return make_dataset(x=np.asarray(x, dtype=float), w=w, factors=FACTORS, s=s)


def by_factor(table):
    return table.set_index("factor")


def test_counts_are_the_raw_codes():
    x = [[1, -1, NAN, 0], [1, NAN, NAN, 1], [0, 0, NAN, -1], [-1, 1, NAN, NAN], [NAN, 1, NAN, 0]]
    table = by_factor(data_support(dataset(x)))
    assert table.loc["p1_a", ["n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() == [1, 1, 2, 1]
    assert table.loc["p1_b", ["n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() == [1, 1, 2, 1]
    assert table.loc["p2_c", ["n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() == [0, 0, 0, 5]
    assert table.loc["p2_d", ["n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() == [1, 2, 1, 1]


def test_never_coded_and_constant_factors_have_no_data():
    # p1_a: +1 in every case (constant); p1_b: one 0 and the rest not discussed (constant at 0 once NA -> 0);
    # p2_c: never coded; p2_d: +1 and not discussed, i.e. +1 and 0 to the model: has data
    x = [[1, 0, NAN, 1], [1, NAN, NAN, NAN], [1, NAN, NAN, 1], [1, NAN, NAN, NAN], [1, NAN, NAN, 1]]
    table = by_factor(data_support(dataset(x)))
    assert table["never_coded"].tolist() == [False, False, True, False]
    assert table["constant"].tolist() == [True, True, False, False]
    assert table.loc["p1_a", "constant_value"] == 1 and table.loc["p1_b", "constant_value"] == 0
    assert np.isnan(table.loc["p2_d", "constant_value"])
    assert table["label"].tolist() == [LABEL_NO_DATA, LABEL_NO_DATA, LABEL_NO_DATA, LABEL_DATA]


def test_the_not_discussed_reading_is_a_parameter():
    # p2_d is +1 wherever coded: constant when not discussed is left out, not when it is read as 0
    x = [[1, 0, NAN, 1], [0, 1, NAN, NAN], [1, 0, NAN, 1], [0, 1, NAN, NAN], [1, 1, NAN, 1]]
    assert by_factor(data_support(dataset(x)))["constant"]["p2_d"] == np.False_
    left_out = by_factor(data_support(dataset(x), na_as=None))
    assert left_out.loc["p2_d", "constant"] and left_out.loc["p2_d", "label"] == LABEL_NO_DATA
    assert observed_codes(dataset(x), na_as=None)[3].tolist() == [False, False, True]
    assert observed_codes(dataset(x))[3].tolist() == [False, True, True]


def test_separation_of_the_own_window_is_checked_after_na_is_read_as_zero():
    # W1 = (1, 1, 0, 0, 1): p1_a is +1 exactly where W1 is open and not discussed elsewhere,
    # so it separates W1 once NA -> 0 (the p1_congruence_values pattern of the shipped study)
    x = [[1, 1, NAN, 0], [1, 0, NAN, 1], [NAN, 1, NAN, 0], [NAN, 0, NAN, 1], [1, -1, NAN, 0]]
    table = by_factor(data_support(dataset(x)))
    assert table.loc["p1_a", "separates_window"] == 1 and table.loc["p1_a", "label"] == LABEL_SEPARATING
    assert table.loc["p1_b", "separates_window"] == 0
    assert by_factor(data_support(dataset(x), na_as=None)).loc["p1_a", "separates_window"] == 0  # one side empty


def test_separation_of_a_coded_stream_state_is_reported():
    s = np.full((5, 2, 3), NAN)
    s[:, 1, 2] = [0, 1, 1, NAN, 0]          # phase-2 politics stream, coded in four cases
    s[:, 1, 0] = [1, 0, 1, 0, NAN]          # phase-2 problem stream
    # p2_d (politics): lower codes where the stream is in motion -> separates downwards
    # p2_c (problem): +1 in case 1 and 3 (in motion) but also in case 4 (not): no separation
    x = [[-1, 1, 1, 1], [1, 0, 0, -1], [0, 1, 1, 0], [1, 0, 1, NAN], [0, 1, 0, 1]]
    table = by_factor(data_support(dataset(x, s=s)))
    assert table.loc["p2_d", "separates_stream"] == -1
    assert table.loc["p2_d", "label"] == LABEL_SEPARATING
    assert table.loc["p2_c", "separates_stream"] == 0 and table.loc["p2_c", "separates_window"] == 0


def test_raw_cross_table_matches_counts_by_hand():
    w = np.array([[1, 1], [1, 0], [0, 0], [0, 1], [NAN, 1], [1, NAN], [1, 1]], dtype=float)
    x = np.zeros((7, 4))
    view = raw_view(dataset(x, w=w))
    expected = {("open", "open"): 2, ("open", "closed"): 1, ("open", "unknown"): 1, ("closed", "closed"): 1,
                ("closed", "open"): 1, ("unknown", "open"): 1}
    for a in ("open", "closed", "unknown"):
        for b in ("open", "closed", "unknown"):
            assert view.n(a, b) == expected.get((a, b), 0), (a, b)
    assert view.phase2_given_phase1() == {"with": (2, 3), "without": (1, 2)}


def test_raw_codes_against_each_window_match_counts_by_hand():
    x = [[1, -1, NAN, 0], [1, NAN, NAN, 1], [0, 0, NAN, -1], [-1, 1, NAN, NAN], [NAN, 1, NAN, 0]]
    codes = raw_view(dataset(x)).codes.set_index(["factor", "window", "state"])
    # W1 open in cases 1, 2, 5: p1_a codes 1, 1, NA
    assert codes.loc[("p1_a", "W1", "open"), ["n_cases", "n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() \
        == [3, 0, 0, 2, 1]
    # W2 closed in cases 2, 3, 4 (case 5 unknown, left out): p2_d codes 1, -1, NA
    assert codes.loc[("p2_d", "W2", "closed"), ["n_cases", "n_minus", "n_zero", "n_plus", "n_not_discussed"]].tolist() \
        == [3, 1, 0, 1, 1]
    assert codes.loc[("p2_d", "W2", "open"), "n_cases"] == 1


def test_shipped_study_support_is_what_issue_12_measured():
    table = by_factor(data_support(load_dataset(ROOT / "data" / "trafficking_nl_2020")))
    assert table.loc["p2_framing", "never_coded"] and table.loc["p2_framing", "label"] == LABEL_NO_DATA
    assert table.loc["p2_long_term_goals", "constant"] and table.loc["p2_long_term_goals", "constant_value"] == 0
    assert table.loc["p1_congruence_national", "constant"] and table.loc["p1_congruence_national", "constant_value"] == 1
    assert table.loc["p1_congruence_values", "separates_window"] == 1
    stream_separating = {"p1_insight", "p1_integrated_network", "p1_political_involvement",
                         "p2_internal_communication", "p2_embedding", "p2_political_sponsor", "p2_region_orientation"}
    assert set(table.index[table["separates_stream"] != 0]) == stream_separating
    assert set(table.index[table["label"] == LABEL_NO_DATA]) == {"p2_framing", "p2_interest_group_access",
                                                                 "p2_long_term_goals", "p1_congruence_national"}


def test_shipped_study_never_codes_minus_one_for_14_of_23_factors():
    """Issue 12: the -1 -> +1 contrast extrapolates for 14 of the 23 factors."""
    seen = observed_codes(load_dataset(ROOT / "data" / "trafficking_nl_2020"))
    assert seen.shape == (23, 3) and int((~seen[:, 0]).sum()) == 14
    data = load_dataset(ROOT / "data" / "trafficking_nl_2020")
    no_zero = {f for f, row in zip(data.factor_ids, seen) if not row[1]}  # no 0 coded and nothing not discussed
    assert no_zero == {"p1_congruence_national", "p1_integrated_network", "p2_embedding"}


def test_shipped_study_raw_view_matches_section_5_4():
    view = raw_view(load_dataset(ROOT / "data" / "trafficking_nl_2020"))
    assert view.phase2_given_phase1() == {"with": (3, 4), "without": (0, 4)}


def test_validate_groups_the_no_data_warnings_on_one_line_each(capsys):
    from .conftest import run_cli

    code, out, _ = run_cli(["validate", str(ROOT / "data" / "trafficking_nl_2020")], capsys)
    assert code == 0
    never = [line for line in out.splitlines() if "never coded" in line]
    assert len(never) == 1 and "p2_framing (row" in never[0] and "p2_interest_group_access (row" in never[0]
    constant = [line for line in out.splitlines() if "constant" in line and line.startswith("warning:")]
    assert len(constant) == 1 and "no data: prior only" in constant[0]
    assert "p2_long_term_goals (always 0, row" in constant[0] and "p1_congruence_national (always +1, row" in constant[0]
    separating = [line for line in out.splitlines() if "separate" in line and line.startswith("warning:")]
    assert len(separating) == 1 and "p1_congruence_values (higher codes where w1 = 1, row" in separating[0]
    assert "p1_insight (higher codes where the phase-1 problem stream is in motion, row" in separating[0]
    assert "raw: 3 of 4 cases with a phase-1 window reached phase 2, 0 of 4 without" in out
    assert any(line.split() == ["p1_congruence_values", "0/", "0/", "4/", "4", "separating"] for line in out.splitlines())


@pytest.mark.parametrize("module, minimum", [(support_module, 12), (raw_view_module, 10)])
def test_docstring_examples_run(module, minimum):
    run_doctests(module, minimum, optionflags=doctest.NORMALIZE_WHITESPACE)
