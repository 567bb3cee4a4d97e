"""Classical QCA from its definitions: hand-computed tables, brute force, invariants, located input errors."""

import doctest
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesstreams.analysis.qca.measures as measures_module
import bayesstreams.analysis.qca.minimise as minimise_module
import bayesstreams.analysis.qca.necessity as necessity_module
import bayesstreams.analysis.qca.membership as membership_module
import bayesstreams.analysis.qca.result as result_module
import bayesstreams.data.qca_table as table_module
import bayesstreams.analysis.qca.truth_table as truth_table_module
from bayesstreams.analysis.qca.measures import cov_nec, cov_suf, incl_nec, incl_suf, pri, ron, unique_coverage
from bayesstreams.analysis.qca.minimise import Term, minimal_covers, prime_implicants
from bayesstreams.analysis.qca.result import qca
from bayesstreams.analysis.qca.truth_table import row_fit
from bayesstreams.errors import InputError, UsageError

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"


@pytest.mark.parametrize("module", [measures_module, minimise_module, necessity_module, truth_table_module,
                                    membership_module, table_module, result_module])
def test_module_examples_run(module, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- hand-computed ---------------------------------------------------------------------------

def test_fuzzy_measures_by_hand():
    x = np.array([0.9, 0.6, 0.2, 0.7])
    y = np.array([0.8, 0.3, 0.1, 0.9])
    # min(x, y) = .8 .3 .1 .7 -> 1.9; sum x = 2.4; sum y = 2.1; min(x, y, 1-y) = .2 .3 .1 .1 -> 0.7
    assert incl_suf(x, y) == pytest.approx(1.9 / 2.4)
    assert cov_suf(x, y) == pytest.approx(1.9 / 2.1)
    assert pri(x, y) == pytest.approx((1.9 - 0.7) / (2.4 - 0.7))
    assert incl_nec(x, y) == pytest.approx(1.9 / 2.1) and cov_nec(x, y) == pytest.approx(1.9 / 2.4)
    # sum(1 - x) = .1 .4 .8 .3 -> 1.6; sum(1 - min) = .2 .7 .9 .3 -> 2.1
    assert ron(x, y) == pytest.approx(1.6 / 2.1)


def test_truth_table_by_hand():
    # A, B fuzzy; rows: case a -> (1, 0) = row 3, b -> (1, 0), c -> (0, 1) = row 2, d has B = 0.5 -> no row
    x = [[0.8, 0.3], [0.6, 0.1], [0.2, 0.9], [0.7, 0.5]]
    y = [0.9, 0.2, 0.4, 1.0]
    frame = pd.DataFrame(x, columns=["A", "B"], index=["a", "b", "c", "d"]).assign(Y=y)
    r = qca(frame, outcome="Y", incl_cut=0.7)
    tt = r.truth_table.set_index("row")
    # membership in A*~B: min(.8,.7)=.7, min(.6,.9)=.6, min(.2,.1)=.1, min(.7,.5)=.5 -> sum 1.9
    # min with Y: .7 .2 .1 .5 -> 1.5; incl = 1.5/1.9; min(m, Y, 1-Y): .1 .2 .1 0 -> .4; PRI = 1.1/1.5
    assert tt.loc[3, "incl"] == pytest.approx(1.5 / 1.9) and tt.loc[3, "PRI"] == pytest.approx(1.1 / 1.5)
    assert tt.loc[3, "n"] == 2 and tt.loc[3, "cases"] == "a,b" and tt.loc[3, "OUT"] == "1"
    # ~A*B: .2 .1 .8 .3 -> 1.4; min with Y: .2 .1 .4 .3 -> 1.0
    assert tt.loc[2, "incl"] == pytest.approx(1.0 / 1.4) and tt.loc[2, "OUT"] == "1"
    assert list(tt.index) == [2, 3] and r.truth.unassigned == ("d",)
    assert any("0.5" in note for note in r.notes)


def test_cut_offs_mark_contradictions_and_remainders():
    frame = pd.DataFrame({"A": [1, 1, 1, 0, 0], "B": [1, 1, 1, 0, 1], "Y": [1, 1, 0, 0, 1]}, dtype=float)
    tt = qca(frame, outcome="Y", incl_cut=(0.9, 0.5)).truth_table.set_index("row")
    assert tt.loc[4, "OUT"] == "C"      # 2 of 3: between 0.5 and 0.9
    assert tt.loc[1, "OUT"] == "0" and tt.loc[2, "OUT"] == "1"
    tt = qca(frame, outcome="Y", incl_cut=0.9, n_cut=2).truth_table.set_index("row")
    assert tt.loc[1, "OUT"] == "?" and tt.loc[2, "OUT"] == "?" and tt.loc[4, "OUT"] == "0"


def test_a_contradiction_is_neither_explained_nor_a_simplifying_assumption():
    # rows: A*B positive, A*~B contradiction, ~A*~B negative; ~A*B remainder
    frame = pd.DataFrame({"A": [1, 1, 1, 0], "B": [1, 0, 0, 0], "Y": [1, 1, 0, 0]}, dtype=float)
    r = qca(frame, outcome="Y", incl_cut=(1, 0.4))
    assert r.truth_table.set_index("row").loc[3, "OUT"] == "C"
    expressions = set(r.solutions["expression"])
    assert expressions == {"A*B", "B"}   # conservative A*B; parsimonious B uses the remainder ~A*B, never the C row


# --- brute force ---------------------------------------------------------------------------------

def _brute_primes(k, on, dc):
    allowed = set(on) | set(dc)
    terms = []
    for spec in itertools.product((None, 0, 1), repeat=k):
        rows = [r for r in range(2 ** k)
                if all(v is None or ((r >> (k - 1 - j)) & 1) == v for j, v in enumerate(spec))]
        if set(rows) <= allowed and set(rows) & set(on):
            terms.append((spec, frozenset(rows)))
    return {spec for spec, rows in terms if not any(rows < other for _, other in terms)}


def _spec(term, k):
    lits = dict(term.literals(k))
    return tuple(lits.get(j) for j in range(k))


@pytest.mark.parametrize("seed", range(12))
def test_prime_implicants_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    states = rng.integers(0, 3, size=2 ** k)      # 0 off, 1 on, 2 don't care
    on, dc = np.flatnonzero(states == 1), np.flatnonzero(states == 2)
    got = {_spec(t, k) for t in prime_implicants(k, on, dc)}
    assert got == (_brute_primes(k, on.tolist(), dc.tolist()) if on.size else set())


@pytest.mark.parametrize("seed", range(12))
def test_minimal_covers_equal_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    chart = rng.random((int(rng.integers(2, 7)), int(rng.integers(1, 6)))) < 0.4
    chart[rng.integers(0, chart.shape[0], chart.shape[1]), np.arange(chart.shape[1])] = True
    covers = [set(c) for size in range(1, chart.shape[0] + 1) for c in itertools.combinations(range(chart.shape[0]), size)
              if chart[list(c)].any(0).all()]
    smallest = min(len(c) for c in covers)
    assert sorted(map(sorted, (c for c in covers if len(c) == smallest))) == sorted(map(list, minimal_covers(chart)))


# --- invariants ------------------------------------------------------------------------------------

def _random_crisp(seed, n=14, k=4):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(n, k)).astype(float)
    y = rng.integers(0, 2, size=n).astype(float)
    names = [f"C{j}" for j in range(k)]
    return pd.DataFrame(x, columns=names, index=[f"c{i}" for i in range(n)]).assign(Y=y)


@pytest.mark.parametrize("seed", range(8))
def test_solutions_on_complete_crisp_data_explain_exactly_what_they_should(seed):
    """Conservative = the positive rows exactly; parsimonious covers them and no row with output 0."""
    frame = _random_crisp(seed)
    r = qca(frame, outcome="Y", incl_cut=1)
    tt, k = r.truth, r.truth.k
    on, off = set(tt.rows_with("1").tolist()), set(tt.rows_with("0").tolist())
    if not on:
        assert r.solutions.empty
        return
    terms = r.terms
    for model in r.solutions.to_dict("records"):
        own = terms[(terms["solution"] == model["solution"]) & (terms["model"] == model["model"])]
        assert (own["inclS"] == 1.0).all() and model["inclS"] == 1.0
        covered = {row for row in range(2 ** k) if any(_matches(term, row, r.conditions) for term in own["term"])}
        assert on <= covered and not covered & off
        if model["solution"] == "conservative":
            assert covered == on
        # covS of the whole model: the positive cases in the explained rows over all positive cases
        explained = sum(frame.loc[list(tt.cases_of(row)), "Y"].sum() for row in on)
        assert model["covS"] == pytest.approx(explained / frame["Y"].sum())


def _matches(term, row, names):
    k = len(names)
    for literal in term.split("*"):
        value = 0 if literal.startswith("~") else 1
        j = list(names).index(literal.lstrip("~"))
        if ((row >> (k - 1 - j)) & 1) != value:
            return False
    return True


def test_results_do_not_depend_on_the_order_of_cases_or_conditions():
    frame = pd.read_csv(ROOT / "tests" / "data" / "qca" / "lipset_fuzzy.csv", index_col=0)
    base = qca(frame, outcome="SURV")
    shuffled = qca(frame.sample(frac=1.0, random_state=3), outcome="SURV")
    reordered = qca(frame[["STB", "IND", "LIT", "URB", "DEV", "SURV"]], outcome="SURV")

    def canon(result):
        return sorted((s, frozenset("*".join(sorted(t.split("*"))) for t in e.split(" + ")), round(i, 9), round(c, 9))
                      for s, e, i, c in zip(result.solutions["solution"], result.solutions["expression"],
                                            result.solutions["inclS"], result.solutions["covS"]))

    assert canon(base) == canon(shuffled) == canon(reordered)


def test_intermediate_without_expectations_is_the_conservative_solution():
    r = qca(ROOT / "tests" / "data" / "qca" / "lipset_fuzzy.csv", outcome="SURV", dir_exp=[])
    s = r.solutions.set_index("solution")
    assert s.loc["intermediate", "expression"] == s.loc["conservative", "expression"]


def test_measures_broadcast_over_a_leading_draw_axis():
    rng = np.random.default_rng(5)
    x, y = rng.random((7, 3, 11)), rng.random((7, 11))   # (draw, condition, case), (draw, case)
    for f in (incl_suf, pri, cov_suf, ron):
        batched = f(x, y[:, None, :])
        assert batched.shape == (7, 3)
        assert np.allclose(batched, [[f(x[d, c], y[d]) for c in range(3)] for d in range(7)])
    assert np.allclose(unique_coverage(x, y), [unique_coverage(x[d], y[d]) for d in range(7)])
    rows = np.array([[1, 0, 1], [0, 1, 1]])
    incl, pri_ = row_fit(x.transpose(0, 2, 1), y, rows)
    assert incl.shape == pri_.shape == (7, 2)
    for d in range(7):
        loop = row_fit(x[d].T, y[d], rows)
        assert np.allclose(incl[d], loop[0]) and np.allclose(pri_[d], loop[1])
    assert np.allclose(Term(0b101, 0b100).membership(x.transpose(0, 2, 1)),
                       np.minimum(x[:, 0, :], 1 - x[:, 2, :]))


# --- the shipped study -------------------------------------------------------------------------------

def test_study_phase_one_is_necessary_for_phase_two_in_all_three_cases():
    r = qca(STUDY, outcome="w2")
    w1 = r.necessity.set_index("condition").loc["w1"]
    # w1 = 1 in g2, g6, g7, g8; w2 = 1 in g2, g7, g8: 3 of 3, covN 3/4, RoN = 4 / (4 + 1)
    assert (w1["inclN"], w1["covN"], w1["RoN"], w1["n"], w1["n_outcome"]) == (1.0, 0.75, 0.8, 8, 3)
    assert r.conditions == ("problem_2", "policy_2", "politics_2")
    assert r.dropped == {"g1": "unknown: policy_2, politics_2", "g4": "unknown: policy_2, politics_2"}
    tt = r.truth_table.set_index("row")
    assert tt.loc[8, "cases"] == "g2,g7,g8" and tt.loc[8, "OUT"] == "1" and tt.loc[4, "cases"] == "g6"


def test_study_factor_codes_follow_the_stated_membership_rule():
    crisp = qca(STUDY, outcome="politics_2", membership="crisp", not_discussed="zero")
    fuzzy = qca(STUDY, outcome="politics_2", membership="fuzzy", not_discussed="zero")
    assert crisp.conditions == ("p2_interest_group_access", "p2_political_sponsor", "p2_region_orientation")
    from bayesstreams.analysis.qca.membership import dataset_memberships
    from bayesstreams.data.dataset import load_dataset

    ds = load_dataset(STUDY)
    j = ds.factor_ids.index("p2_region_orientation")
    codes = ds.x[:, j]
    m = dataset_memberships(ds, "fuzzy")["p2_region_orientation"]
    assert np.array_equal(np.isnan(m), np.isnan(codes))
    assert set(zip(codes[~np.isnan(codes)].tolist(), m[~np.isnan(m)].tolist())) <= {(1.0, 1.0), (0.0, 0.33), (-1.0, 0.0)}
    assert crisp.membership != fuzzy.membership and "0 -> 0.33" in fuzzy.membership
    # "drop" leaves out every case with a not-discussed condition; p2_interest_group_access is never coded
    with_drop = qca(STUDY, outcome="politics_2", conditions="p2_political_sponsor")
    assert set(with_drop.dropped) == {c for c, v in zip(ds.case_ids, dataset_memberships(ds)["p2_political_sponsor"])
                                      if np.isnan(v)} | {c for c, v in zip(ds.case_ids, ds.s[:, 1, 2]) if np.isnan(v)}


def test_a_run_folder_is_read_through_its_dataset_snapshot(tmp_path):
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.data.export import write_long

    write_long(load_dataset(STUDY), tmp_path / "dataset")
    (tmp_path / "run.json").write_text("{}")
    assert qca(tmp_path, outcome="w2").necessity.equals(qca(STUDY, outcome="w2").necessity)


# --- bad input --------------------------------------------------------------------------------------

def test_plain_table_problems_are_located(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("case,A,B,Y\na,0.2,1.4,1\nb,x,0,\na,1,0,0\n")
    with pytest.raises(InputError) as info:
        qca(path, outcome="Y")
    lines = info.value.lines()
    assert f"{path}:2:B: 1.4 is outside [0, 1] (calibrate raw values first; multi-value QCA is not supported)" in lines
    assert f"{path}:3:A: 'x' is not a number (memberships are numbers in [0, 1])" in lines
    assert f"{path}:3:Y: empty cell: every case needs a membership in every column" in lines
    assert f"{path}:4:case: case 'a' appears twice (first on row 2)" in lines


@pytest.mark.parametrize("kwargs,option", [
    ({"outcome": "NOPE"}, "--outcome"), ({"outcome": "SURV", "conditions": "DEV,NOPE"}, "--conditions"),
    ({"outcome": "SURV", "conditions": "DEV,SURV"}, "--conditions"), ({"outcome": "SURV", "incl_cut": "1.2"}, "--incl-cut"),
    ({"outcome": "SURV", "incl_cut": "0.5,0.8"}, "--incl-cut"), ({"outcome": "SURV", "n_cut": 0}, "--n-cut"),
    ({"outcome": "SURV", "dir_exp": "DEV,NOPE"}, "--dir-exp"), ({"outcome": "SURV", "dir_exp": "DEV,~LIT*IND"}, "--dir-exp"),
    ({"outcome": "SURV", "conditions": " , "}, "--conditions"),
])
def test_bad_requests_name_their_option(kwargs, option):
    with pytest.raises(UsageError) as info:
        qca(ROOT / "tests" / "data" / "qca" / "lipset_crisp.csv", **kwargs)
    assert info.value.option == option


def test_a_dataframe_with_values_outside_the_unit_interval_is_refused():
    frame = pd.DataFrame({"A": [0.2, 1.5], "B": [0.1, "x"], "Y": [1.0, 0.0]})
    with pytest.raises(InputError) as info:
        qca(frame, outcome="Y")
    assert [v.column for v in info.value.violations] == ["A", "B"]


def test_the_phase_one_window_is_tested_for_phase_two_only():
    assert "w1" in set(qca(STUDY, outcome="w2").necessity["condition"])
    assert "w1" not in set(qca(STUDY, outcome="~w2").necessity["condition"])
    assert "w1" not in set(qca(STUDY, outcome="w1").necessity["condition"])


def test_a_semicolon_table_with_decimal_commas_reads_as_the_comma_table(tmp_path):
    source = (ROOT / "tests" / "data" / "qca" / "lipset_fuzzy.csv").read_text()
    dutch = tmp_path / "lf.csv"
    dutch.write_text(source.replace(",", ";").replace(".", ","), encoding="utf-8")
    a, b = qca(ROOT / "tests" / "data" / "qca" / "lipset_fuzzy.csv", outcome="SURV"), qca(dutch, outcome="SURV")
    assert a.solutions.equals(b.solutions) and a.truth_table.equals(b.truth_table)
