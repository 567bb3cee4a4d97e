"""Classical QCA equals the published results of R's QCA package on its standard data sets (3 decimals).

Every expected number below is copied from the rendered examples of the help pages of the R
package ``QCA`` version 3.23 (Dusa; CRAN, https://cran.r-project.org/package=QCA), as its source
package ships them in ``inst/staticdocs/`` (the same examples run by ``example(minimize)`` etc.):

* ``minimize.html`` (help page ``minimize``, section Examples): "Lipset binary crisp data"
  (conservative, Rihoux & De Meur 2009 p.57; parsimonious; negated outcome), "Lipset fuzzy sets
  data (Ragin 2009, p.112)" (conservative, parsimonious, intermediate with ``dir.exp``) and
  "Cebotari & Vink (2013, 2015)" (parsimonious with four models M1-M4 and their PI chart);
* ``truthTable.html`` (help page ``truthTable``, Examples): the LC truth table with cases, the
  CVF truth table of ``~PROTEST`` and the one with contradictions (``incl.cut = c(0.8, 0.75)``);
* ``pof.html`` (help page ``pof``, Examples): necessity (inclN, RoN, covN) of the CVF conditions,
  their negations and the negated outcome, and sufficiency of single conditions.

The data are in tests/data/qca/ (README there names their source).
"""

from pathlib import Path

import numpy as np
import pytest

from bayesstreams.analysis.qca.measures import cov_suf, incl_suf, pri, unique_coverage
from bayesstreams.analysis.qca.result import qca

DATA = Path(__file__).resolve().parent / "data" / "qca"
LC, LF, CVF = DATA / "lipset_crisp.csv", DATA / "lipset_fuzzy.csv", DATA / "cebotari_vink_fuzzy.csv"


def _terms(result, solution, model="M1"):
    """{term: (inclS, PRI, covS, covU)} of one model, rounded to 3 decimals."""
    t = result.terms[(result.terms["solution"] == solution) & (result.terms["model"] == model)]
    return {r["term"]: tuple(round(r[c], 3) for c in ("inclS", "PRI", "covS", "covU")) for r in t.to_dict("records")}


def _model(result, solution, model="M1"):
    s = result.solutions[(result.solutions["solution"] == solution) & (result.solutions["model"] == model)]
    assert len(s) == 1
    return tuple(round(s.iloc[0][c], 3) for c in ("inclS", "PRI", "covS"))


def _cases(result, solution, model="M1"):
    t = result.terms[(result.terms["solution"] == solution) & (result.terms["model"] == model)]
    return dict(zip(t["term"], t["cases"]))


# --- Lipset crisp (LC), minimize.html --------------------------------------------------------

def test_lipset_crisp_truth_table_equals_truthTable_help_page():
    # truthTable.html: print(ttLC, show.cases = TRUE); truthTable(LC, "SURV") uses incl.cut = 1
    tt = qca(LC, outcome="SURV", incl_cut=1).truth_table
    got = {r["row"]: (r["OUT"], r["n"], round(r["incl"], 3), round(r["PRI"], 3), r["cases"]) for r in tt.to_dict("records")}
    assert got == {
        1: ("0", 3, 0.0, 0.0, "GR,PT,ES"), 2: ("0", 2, 0.0, 0.0, "IT,RO"), 5: ("0", 2, 0.0, 0.0, "HU,PL"),
        6: ("0", 1, 0.0, 0.0, "EE"), 22: ("1", 2, 1.0, 1.0, "FI,IE"), 23: ("0", 1, 0.0, 0.0, "AU"),
        24: ("1", 2, 1.0, 1.0, "FR,SE"), 31: ("0", 1, 0.0, 0.0, "DE"), 32: ("1", 4, 1.0, 1.0, "BE,CZ,NL,UK")}


def test_lipset_crisp_conservative_and_parsimonious():
    r = qca(LC, outcome="SURV", incl_cut=1)
    # minimize(ttLC, details = TRUE, show.cases = TRUE)
    assert _terms(r, "conservative") == {"DEV*~URB*LIT*STB": (1.0, 1.0, 0.5, 0.25), "DEV*LIT*IND*STB": (1.0, 1.0, 0.75, 0.5)}
    assert _cases(r, "conservative") == {"DEV*~URB*LIT*STB": "FI,IE; FR,SE", "DEV*LIT*IND*STB": "FR,SE; BE,CZ,NL,UK"}
    assert _model(r, "conservative") == (1.0, 1.0, 1.0)
    # minimize(ttLC, include = "?", details = TRUE, show.cases = TRUE)
    assert _terms(r, "parsimonious") == {"DEV*STB": (1.0, 1.0, 1.0, 1.0)}
    assert _cases(r, "parsimonious") == {"DEV*STB": "FI,IE; FR,SE; BE,CZ,NL,UK"}
    assert len(r.solutions) == 2


def test_lipset_crisp_negated_outcome():
    r = qca(LC, outcome="~SURV", incl_cut=1)
    # minimize(ttLCn): M1: ~DEV*~URB*~IND + DEV*LIT*IND*~STB
    assert set(_terms(r, "conservative")) == {"~DEV*~URB*~IND", "DEV*LIT*IND*~STB"}
    # pLCn: ~DEV (1, 1, 0.800, 0.300; GR,PT,ES; IT,RO; HU,PL; EE) + ~STB (1, 1, 0.700, 0.200)
    assert _terms(r, "parsimonious") == {"~DEV": (1.0, 1.0, 0.8, 0.3), "~STB": (1.0, 1.0, 0.7, 0.2)}
    assert _cases(r, "parsimonious") == {"~DEV": "GR,PT,ES; IT,RO; HU,PL; EE", "~STB": "GR,PT,ES; HU,PL; AU; DE"}


# --- Lipset fuzzy (LF), minimize.html (Ragin 2009, p.112) ------------------------------------

def test_lipset_fuzzy_three_solutions():
    r = qca(LF, outcome="SURV", incl_cut=0.8, dir_exp="DEV, URB, LIT, IND, STB")
    assert _terms(r, "conservative") == {"DEV*URB*LIT*IND*STB": (0.904, 0.886, 0.454, 0.393),
                                         "DEV*~URB*LIT*~IND*STB": (0.804, 0.719, 0.265, 0.204)}
    assert _model(r, "conservative") == (0.870, 0.843, 0.658)
    assert _terms(r, "parsimonious") == {"DEV*~IND": (0.815, 0.721, 0.284, 0.194),
                                         "URB*STB": (0.874, 0.845, 0.520, 0.430)}
    assert _model(r, "parsimonious") == (0.850, 0.819, 0.714)
    # "From C1P1": DEV*URB*LIT*STB + DEV*LIT*~IND*STB
    assert _terms(r, "intermediate", "C1P1-M1") == {"DEV*URB*LIT*STB": (0.901, 0.879, 0.468, 0.378),
                                                    "DEV*LIT*~IND*STB": (0.814, 0.721, 0.282, 0.191)}
    assert _model(r, "intermediate", "C1P1-M1") == (0.866, 0.839, 0.660)
    assert _cases(r, "parsimonious") == {"DEV*~IND": "FI,IE", "URB*STB": "BE,CZ,NL,UK"}


def test_lipset_fuzzy_outcome_counts():
    # "n OUT = 1/0/C: 6/12/0": six cases in rows with output 1
    tt = qca(LF, outcome="SURV", incl_cut=0.8).truth_table
    assert tt.loc[tt["OUT"] == "1", "n"].sum() == 6 and tt.loc[tt["OUT"] == "0", "n"].sum() == 12


# --- Cebotari & Vink (CVF) ---------------------------------------------------------------------

def test_cebotari_vink_parsimonious_has_the_four_published_models():
    r = qca(CVF, outcome="PROTEST", incl_cut=0.8)
    pars = r.solutions[r.solutions["solution"] == "parsimonious"]
    models = {frozenset(e.split(" + ")): tuple(round(v, 3) for v in (i, p, c))
              for e, i, p, c in zip(pars["expression"], pars["inclS"], pars["PRI"], pars["covS"])}
    assert models == {
        frozenset({"~NATPRIDE", "DEMOC*GEOCON*POLDIS", "~DEMOC*ETHFRACT*POLDIS", "DEMOC*ETHFRACT*GEOCON"}): (0.877, 0.777, 0.805),
        frozenset({"~NATPRIDE", "DEMOC*GEOCON*POLDIS", "~DEMOC*ETHFRACT*POLDIS", "DEMOC*ETHFRACT*~POLDIS"}): (0.877, 0.777, 0.805),
        frozenset({"~NATPRIDE", "DEMOC*GEOCON*POLDIS", "DEMOC*ETHFRACT*GEOCON", "ETHFRACT*GEOCON*POLDIS"}): (0.879, 0.782, 0.810),
        frozenset({"~NATPRIDE", "DEMOC*GEOCON*POLDIS", "DEMOC*ETHFRACT*~POLDIS", "ETHFRACT*GEOCON*POLDIS"}): (0.879, 0.782, 0.810)}
    # term columns inclS, PRI, covS and each model's covU column (M1)-(M4), in the published model order
    published = {"~NATPRIDE": (0.899, 0.807, 0.597), "DEMOC*GEOCON*POLDIS": (0.906, 0.805, 0.342),
                 "~DEMOC*ETHFRACT*POLDIS": (0.842, 0.718, 0.299), "DEMOC*ETHFRACT*GEOCON": (0.935, 0.826, 0.480),
                 "DEMOC*ETHFRACT*~POLDIS": (0.932, 0.773, 0.417), "ETHFRACT*GEOCON*POLDIS": (0.869, 0.786, 0.365)}
    cov_u = {"M1": {"~NATPRIDE": 0.132, "DEMOC*GEOCON*POLDIS": 0.065, "~DEMOC*ETHFRACT*POLDIS": 0.040, "DEMOC*ETHFRACT*GEOCON": 0.085},
             "M2": {"~NATPRIDE": 0.122, "DEMOC*GEOCON*POLDIS": 0.070, "~DEMOC*ETHFRACT*POLDIS": 0.040, "DEMOC*ETHFRACT*~POLDIS": 0.085},
             "M3": {"~NATPRIDE": 0.136, "DEMOC*GEOCON*POLDIS": 0.065, "DEMOC*ETHFRACT*GEOCON": 0.085, "ETHFRACT*GEOCON*POLDIS": 0.045},
             "M4": {"~NATPRIDE": 0.126, "DEMOC*GEOCON*POLDIS": 0.065, "DEMOC*ETHFRACT*~POLDIS": 0.085, "ETHFRACT*GEOCON*POLDIS": 0.045}}
    for model, expected in cov_u.items():
        got = _terms(r, "parsimonious", model)
        assert {t: v[3] for t, v in got.items()} == expected
        assert {t: v[:3] for t, v in got.items()} == {t: published[t] for t in expected}


def test_cebotari_vink_unique_coverage_over_all_prime_implicants():
    # the unlabelled covU column of the same table: unique coverage among all six prime implicants
    data = np.genfromtxt(CVF, delimiter=",", skip_header=1)[:, 1:]
    x, y = data[:, :5], data[:, 5]
    d, e, g, p, n = x.T
    terms = {"~NATPRIDE": 1 - n, "DEMOC*GEOCON*POLDIS": np.minimum.reduce([d, g, p]),
             "~DEMOC*ETHFRACT*POLDIS": np.minimum.reduce([1 - d, e, p]), "DEMOC*ETHFRACT*GEOCON": np.minimum.reduce([d, e, g]),
             "DEMOC*ETHFRACT*~POLDIS": np.minimum.reduce([d, e, 1 - p]), "ETHFRACT*GEOCON*POLDIS": np.minimum.reduce([e, g, p])}
    got = unique_coverage(np.array(list(terms.values())), y).round(3).tolist()
    assert got == [0.121, 0.065, 0.000, 0.000, 0.000, 0.005]


def test_cebotari_vink_truth_tables_equal_truthTable_help_page():
    # truthTable(CVF, "~PROTEST", incl.cut = 0.8, sort.by = "incl")
    tt = qca(CVF, outcome="~PROTEST", incl_cut=0.8).truth_table
    got = {r["row"]: (r["OUT"], r["n"], round(r["incl"], 3), round(r["PRI"], 3)) for r in tt.to_dict("records")}
    assert got == {10: ("1", 1, 0.976, 0.914), 6: ("1", 1, 0.953, 0.852), 28: ("1", 1, 0.933, 0.775),
                   14: ("1", 3, 0.929, 0.816), 2: ("1", 4, 0.922, 0.818), 20: ("1", 1, 0.902, 0.714),
                   8: ("1", 1, 0.902, 0.705), 22: ("1", 4, 0.846, 0.597), 30: ("1", 2, 0.843, 0.333),
                   5: ("1", 2, 0.823, 0.416), 27: ("0", 1, 0.776, 0.217), 16: ("0", 1, 0.742, 0.409),
                   29: ("0", 1, 0.738, 0.142), 32: ("0", 1, 0.726, 0.283), 24: ("0", 2, 0.699, 0.229),
                   31: ("0", 1, 0.662, 0.109), 15: ("0", 2, 0.629, 0.161)}
    # truthTable(CVF, "PROTEST", incl.cut = c(0.8, 0.75)): row 28 (incl 0.768) is the one contradiction
    tt = qca(CVF, outcome="PROTEST", incl_cut=(0.8, 0.75)).truth_table
    out = dict(zip(tt["row"], tt["OUT"]))
    assert {r for r, o in out.items() if o == "C"} == {28}
    assert {r for r, o in out.items() if o == "1"} == {31, 29, 27, 15, 30, 24, 32, 5, 16}
    assert round(float(tt.loc[tt["row"] == 8, "incl"].iloc[0]), 3) == 0.749


def test_cebotari_vink_necessity_equals_pof_help_page():
    r = qca(CVF, outcome="PROTEST")
    got = {row["condition"]: (round(row["inclN"], 3), round(row["RoN"], 3), round(row["covN"], 3))
           for row in r.necessity.to_dict("records")}
    # pof(conds, PROTEST) and pof(1 - conds, PROTEST)
    assert got == {"DEMOC": (0.741, 0.758, 0.713), "ETHFRACT": (0.680, 0.830, 0.755), "GEOCON": (0.904, 0.492, 0.624),
                   "POLDIS": (0.518, 0.878, 0.744), "NATPRIDE": (0.708, 0.523, 0.539),
                   "~DEMOC": (0.564, 0.736, 0.601), "~ETHFRACT": (0.661, 0.684, 0.614), "~GEOCON": (0.317, 0.873, 0.601),
                   "~POLDIS": (0.631, 0.517, 0.493), "~NATPRIDE": (0.597, 0.952, 0.899)}
    # pof(conds, 1 - PROTEST)
    negated = qca(CVF, outcome="~PROTEST").necessity.set_index("condition")
    assert negated.loc[["DEMOC", "ETHFRACT", "GEOCON", "POLDIS", "NATPRIDE"], ["inclN", "RoN", "covN"]].round(3).values.tolist() == [
        [0.618, 0.682, 0.580], [0.574, 0.760, 0.623], [0.784, 0.436, 0.529], [0.335, 0.776, 0.470], [0.932, 0.622, 0.693]]


@pytest.mark.parametrize("negated,expected", [
    (False, [(0.713, 0.508, 0.741, 0.000), (0.755, 0.578, 0.680, 0.002), (0.624, 0.449, 0.904, 0.052),
             (0.744, 0.624, 0.518, 0.000), (0.539, 0.279, 0.708, 0.024)]),
    (True, [(0.580, 0.281, 0.618, 0.001), (0.623, 0.349, 0.574, 0.000), (0.529, 0.309, 0.784, 0.000),
            (0.470, 0.221, 0.335, 0.000), (0.693, 0.520, 0.932, 0.086)]),
])
def test_cebotari_vink_sufficiency_of_single_conditions_equals_pof(negated, expected):
    # pof(conds, PROTEST, relation = "suf") and pof(conds, 1 - PROTEST, relation = "suf"): inclS, PRI, covS, covU
    data = np.genfromtxt(CVF, delimiter=",", skip_header=1)[:, 1:]
    x, y = data[:, :5].T, (1 - data[:, 5]) if negated else data[:, 5]
    got = list(zip(incl_suf(x, y).round(3), pri(x, y).round(3), cov_suf(x, y).round(3), unique_coverage(x, y).round(3)))
    assert [tuple(float(v) + 0.0 for v in row) for row in got] == expected
