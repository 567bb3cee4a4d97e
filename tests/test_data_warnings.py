"""Weak spots that are warnings, not errors (exit 0), and how several respondents combine.

The base dataset loads with no warnings, so each test adds one weakness and asserts that
exactly the matching warning appears, located, and that validate still exits 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data.dataset import aggregate_codes, load_dataset
from bayesstreams.data.screen import separation
from .conftest import BASE_FACTORS, codebook_toml, codes_row, line_of, run_cli


def located(warnings):
    return [(Path(w.file).name, w.row, w.column) for w in warnings]


def declared(factor: str, factors: dict = BASE_FACTORS) -> tuple[str, int, str]:
    """A warning about a factor points at the codebook line that declares it."""
    return "codebook.toml", codebook_toml(factors).splitlines().index(f"[factors.{factor}]") + 1, factor


def assert_warns_only(path: Path, expected: list[tuple[str, int | None, str | None]], capsys) -> list:
    data = load_dataset(path)
    assert sorted(located(data.warnings), key=repr) == sorted(expected, key=repr), [str(w) for w in data.warnings]
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 0
    assert "error:" not in err and "Traceback" not in out + err
    assert f"{len(expected)} warning(s):" in out
    printed = [line[len("warning: "):] for line in out.splitlines() if line.startswith("warning: ")]
    for w in data.warnings:
        # printed alone, or within the one line of its kind that lists every subject with its row
        same_kind = [v for v in data.warnings if v.kind == w.kind]
        if len(same_kind) == 1:
            assert str(w) in printed
        else:
            [line] = [p for p in printed if p.startswith(f"{w.file}: {len(same_kind)} ")]
            assert w.subject.rstrip(")") in line and f"row {w.row}" in line
    assert out.rstrip().endswith("valid")
    return data.warnings


def set_code(tables: dict, case: str, factor: str, code: str) -> None:
    tables["codes"][codes_row(tables, case, factor)][2] = code


# ----------------------------------------------------------------------------- screening

def test_case_without_codes(factory, capsys):
    t = factory.tables()
    t["cases"].append(["c5", "Uncoded", "0", "0", "", "", ""])
    [w] = assert_warns_only(factory.make(tables=t), [("cases.csv", line_of(4), "case_id")], capsys)
    assert "'c5'" in w.message


def test_case_whose_codes_are_all_empty_counts_as_uncoded(factory, capsys):
    t = factory.tables()
    t["cases"].append(["c5", "Only blanks", "0", "0", "", "", ""])
    t["codes"].append(["c5", "p1_insight", "", "r1", "", "niet besproken"])
    data = load_dataset(factory.make(tables=t))
    assert located(data.warnings) == [("cases.csv", line_of(4), "case_id")]
    assert np.isnan(data.x[4]).all()


@pytest.mark.parametrize("empty_rows", [False, True])
def test_factor_never_coded(factory, capsys, empty_rows):
    t = factory.tables()
    t["factors"]["p2_framing"] = (2, "problem", "framing", "framing")
    if empty_rows:  # rows that exist but leave the code empty do not count as coded
        t["codes"].append(["c1", "p2_framing", "", "r1", "", ""])
    [w] = assert_warns_only(factory.make(tables=t), [declared("p2_framing", t["factors"])], capsys)
    assert "never coded" in w.message


def test_w2_open_without_w1(factory, capsys):
    t = factory.tables()
    t["cases"][2][t["cases_header"].index("w2")] = "1"   # c3: w1 = 0, w2 = 1
    [w] = assert_warns_only(factory.make(tables=t), [("cases.csv", line_of(2), "w2")], capsys)
    assert "'c3'" in w.message


def test_w2_open_with_w1_unknown_is_not_flagged(factory):
    t = factory.tables()
    t["cases"][2][t["cases_header"].index("w1")] = ""
    t["cases"][2][t["cases_header"].index("w2")] = "1"
    data = load_dataset(factory.make(tables=t))
    assert not [w for w in data.warnings if w.column == "w2"]


@pytest.mark.parametrize("codes, side", [(("1", "1", "0", "-1"), "higher"), (("-1", "0", "1", "1"), "lower")])
def test_factor_separating_its_window(factory, capsys, codes, side):
    # w1 is (1, 1, 0, 0) for c1..c4
    t = factory.tables()
    for case, code in zip(("c1", "c2", "c3", "c4"), codes):
        set_code(t, case, "p1_insight", code)
    [w] = assert_warns_only(factory.make(tables=t), [declared("p1_insight")], capsys)
    assert "w1" in w.message and side in w.message


def test_phase2_factor_is_checked_against_w2_not_w1(factory, capsys):
    # w2 = (1, 0, 0, ?) ; this separates w2 but not w1 = (1, 1, 0, 0)
    t = factory.tables()
    for case, code in zip(("c1", "c2", "c3", "c4"), ("1", "0", "0", "1")):
        set_code(t, case, "p2_structural_collaboration", code)
    [w] = assert_warns_only(factory.make(tables=t), [declared("p2_structural_collaboration")], capsys)
    assert "w2" in w.message
    # and a phase-1 factor with the same codes does not separate w1; it does separate its own
    # coded stream (phase-1 problem: c1 in motion with code 1, c3 not with code 0)
    t = factory.tables()
    for case, code in zip(("c1", "c2", "c3", "c4"), ("1", "0", "0", "1")):
        set_code(t, case, "p1_insight", code)
    [w] = load_dataset(factory.make(tables=t)).warnings
    assert w.column == "p1_insight"
    assert "w1" not in w.message and "phase-1 problem stream" in w.message


def test_separation_ignores_cases_with_unknown_window(factory):
    # c4 has w2 unknown; its code may be anything without breaking separation of c1 vs c2, c3.
    t = factory.tables()
    for case, code in zip(("c1", "c2", "c3", "c4"), ("1", "-1", "0", "1")):
        set_code(t, case, "p2_region_orientation", code)
    data = load_dataset(factory.make(tables=t))
    assert located(data.warnings) == [declared("p2_region_orientation")]


@pytest.mark.parametrize("x, w, expected", [
    ([1, 1, 0, -1], [1, 1, 0, 0], 1),
    ([-1, 0, 1, 1], [1, 1, 0, 0], -1),
    ([1, 0, 0, -1], [1, 1, 0, 0], 0),      # tie between an open and a closed case
    ([1, 0, 1, -1], [1, 1, 0, 0], 0),
    ([1, 1, 1, 1], [1, 1, 0, 0], 0),       # constant codes never separate
    ([1, np.nan, 0, 0], [1, 1, 0, 0], 1),  # missing code dropped
    ([1, 1, 0, 0], [1, 1, np.nan, np.nan], 0),  # no closed case known
])
def test_separation_function(x, w, expected):
    assert separation(np.array(x, dtype=float), np.array(w, dtype=float)) == expected


def test_non_separating_factors_get_no_separation_warning(valid_dataset):
    data = load_dataset(valid_dataset)
    assert not any("separates" in w.message for w in data.warnings)


# ----------------------------------------------------------------------------- respondents

def add_respondent(tables: dict, case: str, factor: str, respondent: str, code: str) -> None:
    tables["codes"].append([case, factor, code, respondent, "6.1", f"{respondent} over {factor}"])


def test_respondents_combine_to_sign_of_sum_and_disagreement_warns(factory, capsys):
    t = factory.tables()
    # c1 / p1_insight: r1 = 1 (base), r2 = 1, r3 = -1  ->  sign(1) = 1
    add_respondent(t, "c1", "p1_insight", "r2", "1")
    add_respondent(t, "c1", "p1_insight", "r3", "-1")
    # c2 / p1_congruence_values: r1 = 1 (base), r2 = -1  ->  sign(0) = 0
    add_respondent(t, "c2", "p1_congruence_values", "r2", "-1")
    # c3 / p1_insight: r1 = 1 (base), r2 = 1 agree  ->  1, no warning
    add_respondent(t, "c3", "p1_insight", "r2", "1")
    path = factory.make(tables=t)
    data = load_dataset(path)
    ins, cong = data.factor_ids.index("p1_insight"), data.factor_ids.index("p1_congruence_values")
    assert data.x[0, ins] == 1
    assert data.x[1, cong] == 0
    assert data.x[2, ins] == 1
    first_c1 = line_of(codes_row(t, "c1", "p1_insight"))
    first_c2 = line_of(codes_row(t, "c2", "p1_congruence_values"))
    # c2's tie makes p1_congruence_values 0 in every case (c4 not discussed, read as 0): constant
    warnings = assert_warns_only(path, [("codes.csv", first_c1, "code"), ("codes.csv", first_c2, "code"),
                                        declared("p1_congruence_values")], capsys)
    by_row = {w.row: w.message for w in warnings}
    constant = by_row[declared("p1_congruence_values")[1]]
    assert "'p1_congruence_values' is 0 in every case" in constant and "no data: prior only" in constant
    assert "'c1'" in by_row[first_c1] and "'p1_insight'" in by_row[first_c1]
    assert "'c2'" in by_row[first_c2] and "'p1_congruence_values'" in by_row[first_c2]
    # provenance of every respondent is kept in the long table
    assert sorted(r["respondent"] for r in data.codes
                  if (r["case_id"], r["factor"]) == ("c1", "p1_insight")) == ["r1", "r2", "r3"]


def test_respondent_with_empty_code_does_not_vote(factory):
    t = factory.tables()
    add_respondent(t, "c1", "p1_insight", "r2", "")
    data = load_dataset(factory.make(tables=t))
    assert data.x[0, data.factor_ids.index("p1_insight")] == 1
    assert data.warnings == []


def test_all_respondents_empty_stays_not_discussed(factory):
    # c4 has no p1_congruence_values row in the base data: blank votes must not turn NaN into 0
    t = factory.tables()
    add_respondent(t, "c4", "p1_congruence_values", "r1", "")
    add_respondent(t, "c4", "p1_congruence_values", "r2", "")
    data = load_dataset(factory.make(tables=t))
    assert np.isnan(data.x[3, data.factor_ids.index("p1_congruence_values")])
    assert data.n_not_discussed[3] == 1


@pytest.mark.parametrize("votes, expected", [
    ([1, 1, -1], 1), ([1, -1], 0), ([-1, -1, 1], -1), ([0, 0, 1], 1), ([0, 0], 0), ([1, -1, 0], 0),
    ([np.nan, -1], -1), ([np.nan, np.nan], np.nan),
])
def test_aggregate_codes_sign_of_sum(votes, expected):
    codes = [{"case_id": "a", "factor": "f", "code": float(v)} for v in votes]
    codes.append({"case_id": "b", "factor": "g", "code": 1.0})
    x = aggregate_codes(codes, ["a", "b"], ["f", "g"])
    np.testing.assert_array_equal(x, np.array([[expected, np.nan], [np.nan, 1.0]]))


def test_codebook_extra_factor_without_codes_is_only_a_warning(factory):
    factors = dict(BASE_FACTORS)
    factors["p1_media"] = (1, "problem", "media-aandacht", "media attention")
    data = load_dataset(factory.make(codebook_text=codebook_toml(factors)))
    assert data.factor_ids[-1] == "p1_media"
    assert np.isnan(data.x[:, -1]).all()
    assert [w.column for w in data.warnings] == ["p1_media"]
