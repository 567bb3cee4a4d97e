"""Two cases side by side (issue 14, item 6): codes, chances, windows and what separates them.

On hand-built posteriors (no fitting) the comparison is held to independent NumPy recomputations of
the counterfactuals (MODEL.md §9), to the dataset it reads, and to its own symmetries; the CLI to its
exit codes and files; the HTML and Markdown to their escaping and their language.  The model tier
holds it to ``run.advice`` and ``run.cases()`` on the shipped study's fit.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.analysis.advice import advise
from bayesstreams.analysis.case_evidence import Evidence, counterfactual
from bayesstreams.analysis.compare_cases import REASON_NO_DATA, compare, compare_cases
from bayesstreams.data.support import data_support
from bayesstreams.errors import UsageError
from bayesstreams.model.likelihood import logistic, stream_eta
from bayesstreams.reporting.compare_text import comparison_html, comparison_json, comparison_markdown

from .conftest import run_cli
from .fakes import fake_run, make_dataset, random_parameters, stack_draws
from .helpers import prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
NAN = float("nan")
FACTORS = (
    ("p1_insight", 1, "problem"), ("p1_media", 1, "problem"), ("p1_congruence", 1, "policy"),
    ("p1_political", 1, "politics"), ("p2_framing", 2, "problem"), ("p2_collaboration", 2, "policy"),
    ("p2_capacity", 2, "policy"), ("p2_region", 2, "politics"), ("p2_never", 2, "politics"),
    ("p2_constant", 2, "problem"),
)
# c1: W1 open, W2 closed; c2: both closed; c3: both open; c4: windows unknown; c5 = c2's profile and evidence.
# p2_never is never coded and p2_constant is 0 or not discussed (constant once n.d. is read as 0): no data.
X = np.array([
    [1, 0, 1, 1, -1, 0, NAN, 0, NAN, 0],
    [-1, NAN, 0, -1, 0, 1, -1, 0, NAN, NAN],
    [1, 1, 1, 1, 1, 1, 1, 0, NAN, 0],
    [0, -1, NAN, 0, NAN, 0, 1, -1, NAN, 0],
    [-1, NAN, 0, -1, 0, 1, -1, 0, NAN, NAN],
], dtype=float)
W = np.array([[1, 0], [0, 0], [1, 1], [NAN, NAN], [0, 0]], dtype=float)
S = np.full((5, 2, 3), NAN)
S[0, 1, 0] = 0.0
S[1, 0, 1] = S[4, 0, 1] = 1.0
SUMMARY = ("mean", "q05", "q25", "q75", "q95")


@pytest.fixture(scope="module")
def fake():
    dataset = make_dataset(X, W, FACTORS, s=S)
    rng = np.random.default_rng(11)
    return dataset, stack_draws([random_parameters(dataset, rng) for _ in range(60)])


def _p(posterior, dataset, i, x, window):
    """P(window | do(codes = x), evidence of case i) per draw, from the model's formulas directly."""
    fp, fs = dataset.factor_phase, dataset.factor_stream
    q = logistic(stream_eta(posterior["alpha"], posterior["beta"], np.nan_to_num(dataset.x[i])[None], fp, fs)[:, 0])
    q_new = logistic(stream_eta(posterior["alpha"], posterior["beta"], x[None], fp, fs)[:, 0])
    return counterfactual(q, q_new, posterior["lambda"], posterior["kappa"], posterior["rho"],
                          Evidence(dataset.s[i], dataset.w[i]), window)[0]


def _same(u, v) -> bool:
    return (math.isnan(u) and math.isnan(v)) or u == v


# ---------------------------------------------------------------------------- the comparison


@pytest.mark.parametrize("case", ["c1", "c2", "c3", "c4"])
def test_a_case_beside_itself_differs_nowhere_and_gains_nothing(fake, case):
    dataset, posterior = fake
    comparison, samples = compare(posterior, dataset, case, case)
    assert comparison.n_differ == 0 and comparison.separating == [] and comparison.not_ranked == []
    assert comparison.joint is None
    for name in ("p_w1", "p_w2"):
        assert np.all(samples[f"diff.{name}"] == 0.0) and comparison.difference[name]["p_gt_0"] == 0.0
    assert asdict_side(comparison.a) == asdict_side(comparison.b)


def test_a_twin_through_the_api_has_nothing_to_separate_but_the_same_case_twice_is_refused(fake):
    dataset, posterior = fake
    run = fake_run(dataset, posterior)
    twin = compare_cases(run, "c2", "Case c5")  # the same profile and evidence under another id
    assert twin.n_differ == 0 and twin.separating == [] and twin.joint is None
    assert twin.difference["p_w1"]["mean"] == 0.0 and asdict_side(twin.a) == asdict_side(twin.b)
    with pytest.raises(UsageError, match=r"same case \(c2\)"):
        compare_cases(run, "c2", "case c2")


def asdict_side(side, ids: bool = False) -> str:
    """A side as JSON text, without its id and name unless ``ids`` (NaN as null: equal sides compare equal)."""
    from dataclasses import asdict

    from bayesstreams.analysis.advice import json_safe

    return json.dumps({k: v for k, v in json_safe(asdict(side)).items() if ids or k not in ("case_id", "name")})


def test_swapping_a_and_b_swaps_the_sides(fake):
    dataset, posterior = fake
    ab, s_ab = compare(posterior, dataset, "c2", "c3")
    ba, s_ba = compare(posterior, dataset, "c3", "c2")
    assert [asdict_side(ab.a, True), asdict_side(ab.b, True)] == [asdict_side(ba.b, True), asdict_side(ba.a, True)]
    for x, y in zip(ab.codes, ba.codes):
        assert _same(x["code_a"], y["code_b"]) and _same(x["code_b"], y["code_a"]) and x["differs"] == y["differs"]
    for name in ("p_w1", "p_w2"):
        np.testing.assert_array_equal(s_ab[f"diff.{name}"], -s_ba[f"diff.{name}"])
        d_ab, d_ba = ab.difference[name], ba.difference[name]
        assert d_ab["mean"] == pytest.approx(-d_ba["mean"]) and d_ab["q05"] == pytest.approx(-d_ba["q95"])
        ties = (s_ab[f"diff.{name}"] == 0).mean()
        assert d_ab["p_gt_0"] == pytest.approx(1.0 - d_ba["p_gt_0"] - ties)
    assert (ab.window, ba.window) == ("W1", "W2")  # each side's own target: c3 has both open, ranked on W2


@pytest.mark.parametrize("a, b", [("c2", "c3"), ("c1", "c3"), ("c4", "c1"), ("c3", "c2"), ("c2", "c4")])
def test_taking_b_s_code_equals_a_direct_recomputation(fake, a, b):
    """Each ranked change, and the joint one, per draw equal to the counterfactual computed from the formulas."""
    dataset, posterior = fake
    comparison, samples = compare(posterior, dataset, a, b)
    ia, ib = dataset.case_ids.index(a), dataset.case_ids.index(b)
    ids = list(dataset.factor_ids)
    xa = np.nan_to_num(dataset.x[ia])
    now = [_p(posterior, dataset, ia, xa, w) for w in (0, 1)]
    assert comparison.separating, (a, b)
    for entry in comparison.separating:
        x = xa.copy()
        x[ids.index(entry["factor"])] = dataset.x[ib, ids.index(entry["factor"])]
        for w, window in enumerate(("W1", "W2")):
            expected = _p(posterior, dataset, ia, x, w) - now[w]
            np.testing.assert_allclose(samples[f"gain.{entry['factor']}.{window}"], expected, atol=1e-12)
            assert entry[f"gain_{window.lower()}"]["mean"] == pytest.approx(expected.mean(), abs=1e-12)
        ranked = samples[f"gain.{entry['factor']}.{comparison.window}"]
        assert entry["p_gain_gt_threshold"] == pytest.approx((ranked > 0.05).mean())
    means = [e["gain"]["mean"] for e in comparison.separating]
    assert means == sorted(means, reverse=True)
    x = xa.copy()
    for factor in comparison.joint["factors"]:
        x[ids.index(factor)] = dataset.x[ib, ids.index(factor)]
    for w, window in enumerate(("W1", "W2")):
        np.testing.assert_allclose(samples[f"joint.{window}"], _p(posterior, dataset, ia, x, w) - now[w], atol=1e-12)


def test_a_code_of_plus_one_gains_what_the_advice_s_lever_gains(fake):
    """c2 (target W1) takes c3's +1 on phase-1 factors: the change equals c2's lever toward W1."""
    dataset, posterior = fake
    comparison, _ = compare(posterior, dataset, "c2", "c3")
    advice = advise(posterior, dataset, "c2")
    levers = {e["factor"]: e["gain"]["mean"] for e in advice.levers + advice.find_out_first}
    shared = [e for e in comparison.separating if e["code_b"] == 1 and e["factor"] in levers]
    assert len(shared) >= 3
    for entry in shared:
        assert entry["gain_w1"]["mean"] == pytest.approx(levers[entry["factor"]], abs=1e-12)


def test_the_codes_table_is_the_dataset_with_its_data_support(fake):
    dataset, posterior = fake
    support = data_support(dataset).set_index("factor")["label"]
    for a, b in [("c1", "c2"), ("c4", "c3"), ("c2", "c1")]:
        comparison, _ = compare(posterior, dataset, a, b)
        ia, ib = dataset.case_ids.index(a), dataset.case_ids.index(b)
        assert [row["factor"] for row in comparison.codes] == list(dataset.factor_ids)
        for k, row in enumerate(comparison.codes):
            xa, xb = dataset.x[ia, k], dataset.x[ib, k]
            assert _same(row["code_a"], xa) and _same(row["code_b"], xb)
            assert row["differs"] == (not _same(xa, xb))
            assert row["support"] == support[row["factor"]]
        assert comparison.n_differ == sum(not _same(u, v) for u, v in zip(dataset.x[ia], dataset.x[ib]))


def test_no_data_factors_are_never_ranked_nor_taken_together(fake):
    dataset, posterior = fake
    comparison, samples = compare(posterior, dataset, "c2", "c3")  # p2_constant: n.d. for c2, 0 for c3
    assert comparison.no_data == ["p2_never", "p2_constant"]
    (row,) = [r for r in comparison.codes if r["factor"] == "p2_constant"]
    assert row["differs"] and row["support"] == "no data: prior only"
    assert [e["factor"] for e in comparison.not_ranked] == ["p2_constant"]
    assert comparison.not_ranked[0]["reason"] == REASON_NO_DATA
    ranked = {e["factor"] for e in comparison.separating} | set(comparison.joint["factors"])
    assert not ranked & set(comparison.no_data) and not any(k.startswith("gain.p2_constant") for k in samples)
    # a factor B did not discuss is left out too: there is no code to take
    back, _ = compare(posterior, dataset, "c3", "c2")
    assert {e["factor"]: e["reason"] for e in back.not_ranked} == {"p1_media": "b_not_discussed",
                                                                   "p2_constant": REASON_NO_DATA}


def test_chances_given_what_is_known_keep_the_observations(fake):
    dataset, posterior = fake
    comparison, _ = compare(posterior, dataset, "c1", "c4")
    assert comparison.a.given_w1 is None and comparison.a.given_w2 is None  # known: no chance for them
    assert (comparison.a.w1, comparison.a.w2) == (1.0, 0.0)
    unknown = comparison.b.given_w1  # c4's windows are unknown: a chance strictly between 0 and 1
    assert 0.0 < unknown["q05"] <= unknown["mean"] <= unknown["q95"] < 1.0
    coded = [s for s in comparison.a.streams if not math.isnan(s["coded"])]
    assert coded and all(s["given"]["mean"] == s["coded"] for s in coded)
    assert comparison.counterfactual and not compare(posterior, dataset, "c4", "c1")[0].counterfactual


def test_the_prior_driven_flag_follows_the_rule_of_prior_dependence(fake):
    """A gain whose mean a refit moves by more than half its 90% interval is flagged; no other is."""
    dataset, posterior = fake
    wide = {**posterior, "alpha": posterior["alpha"] - 1.0, "beta": 2.0 * posterior["beta"]}  # a refit that moved
    run, check = fake_run(dataset, posterior), fake_run(dataset, wide)
    comparison = compare_cases(run, "c2", "c3", check_run=check)
    assert comparison.prior_checks == ["wide"]  # 60 draws: too few to power-scale
    own, moved = compare(posterior, dataset, "c2", "c3")[1], compare(wide, dataset, "c2", "c3")[1]

    def rule(name):
        half = (np.quantile(own[name], 0.95) - np.quantile(own[name], 0.05)) / 2
        return bool(abs(moved[name].mean() - own[name].mean()) > half) if half > 0 else False

    flags = [(e["prior_driven_w1"], rule(f"gain.{e['factor']}.W1")) for e in comparison.separating]
    flags += [(comparison.a.prior_driven["p_w1"], rule("a.p_w1")), (comparison.difference["p_w2"]["prior_driven"],
                                                                   rule("diff.p_w2"))]
    assert all(got == want for got, want in flags) and any(want for _, want in flags)


def test_the_case_chances_carry_the_flag_prior_dependence_gives_them(fake):
    """With power-scaling and a refit, P(W1) and P(W2) of each side are flagged exactly as score and the report flag them."""
    from bayesstreams.analysis.prior_dependence import CASE_CHANCES, prior_dependence

    dataset, _ = fake
    rng = np.random.default_rng(5)
    posterior = stack_draws([random_parameters(dataset, rng) for _ in range(120)])
    wide = {**posterior, "alpha": posterior["alpha"] + np.array([[0.0] * 3, [-2.0] * 3])}  # phase 2 moved
    run, check = fake_run(dataset, posterior), fake_run(dataset, wide)
    measured = prior_dependence(run, check, names=CASE_CHANCES)
    flags = []
    for a, b in [("c1", "c2"), ("c3", "c4")]:
        comparison = compare_cases(run, a, b, check_run=check)
        assert comparison.prior_checks == ["wide", "power"]
        for side in (comparison.a, comparison.b):
            for name in CASE_CHANCES:
                flags.append(side.prior_driven[name])
                assert side.prior_driven[name] == measured.flag(name, side.case_id), (side.case_id, name)
    assert any(flags) and not all(flags)


def test_to_dict_is_strict_json_with_labels(fake):
    dataset, posterior = fake
    data = json.loads(comparison_json(compare(posterior, dataset, "c2", "c3")[0], "en"))
    assert data["n_differ"] == 7 and data["codes"][1]["code_a"] is None  # p1_media not discussed by c2
    assert {e["label"] for e in data["codes"]} == {f.replace("_", " ") for f, _, _ in FACTORS}


def test_the_additive_model_has_no_streams_to_compare(fake):
    from bayesstreams.errors import RunError

    dataset, _ = fake
    rng = np.random.default_rng(0)
    additive = stack_draws([random_parameters(dataset, rng, kind="additive") for _ in range(4)])
    with pytest.raises(RunError, match="streams model"):
        compare(additive, dataset, "c1", "c2")


# ---------------------------------------------------------------------------- rendering


def test_html_and_markdown_escape_a_hostile_case_name(fake):
    dataset, posterior = fake
    hostile = '<script>alert("x")</script> & *bold* | pipe'
    dataset.cases[1]["name"] = hostile
    try:
        comparison = compare_cases(fake_run(dataset, posterior), "c2", "c3")
        html = comparison_html(comparison, "en")
        markdown = comparison_markdown(comparison, "nl")
    finally:
        dataset.cases[1]["name"] = "Case c2"
    assert "<script" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp;" in html
    assert "<script" not in markdown and r"&lt;script&gt;" in markdown and r"\*bold\* \| pipe" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    header = [line for line in rows if "A: " in line][0]
    assert header.count(" | ") == 4  # the escaped pipe does not split the table's cells


def test_the_templates_hard_code_no_words():
    from .test_i18n import TEMPLATES, _visible_text

    for name in ("compare.html", "compare.md"):
        visible = _visible_text((TEMPLATES / name).read_text(encoding="utf-8"), name.endswith(".md"))
        assert re.findall(r"[^\W\d_]{2,}", visible) == [], name


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    from bayesstreams.data.dataset import load_dataset

    dataset = load_dataset(STUDY)
    folder = tmp_path_factory.mktemp("study") / "run"
    return write_fake_run(folder, dataset, prior_like_draws(dataset, n=60, seed=3)), dataset


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("a, b", [("g5", "g2"), ("g6", "g7"), ("g7", "g1")])
def test_each_language_speaks_only_itself_with_its_decimal_mark(study_run, lang, a, b):
    from bayesstreams.inference.store import load_run

    from .test_language import DECIMAL, DUTCH, ENGLISH, visible, without_data_text, words

    folder, dataset = study_run
    comparison = compare_cases(load_run(folder), a, b)
    stop = ENGLISH if lang == "nl" else DUTCH
    for name, text in (("html", visible(comparison_html(comparison, lang))),
                       ("md", comparison_markdown(comparison, lang))):
        text = without_data_text(text, dataset)
        assert not words(text) & stop, (lang, name, sorted(words(text) & stop))
        assert not DECIMAL[lang].findall(text), (lang, name, DECIMAL[lang].findall(text)[:5])
        if lang == "nl":
            assert re.search(r"\d,\d", text)  # and the comma is really used


# ---------------------------------------------------------------------------- the command line


def test_cli_prints_the_markdown_of_the_api(study_run, capsys):
    from bayesstreams.inference.store import load_run

    folder, _ = study_run
    code, out, err = run_cli(["compare-cases", str(folder), "Gemeente 5", "G2", "--lang", "nl"], capsys)
    assert code == 0, err
    assert out == comparison_markdown(compare_cases(load_run(folder), "g5", "g2"), "nl").rstrip("\n") + "\n"
    code, out, err = run_cli(["compare-cases", str(folder), "g5", "g2", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["a"]["case_id"] == "g5" and data["b"]["name"] == "Gemeente 2"


@pytest.mark.parametrize("args, expected", [
    (["Gemeente 55", "g2"], "error: A: no case 'Gemeente 55' in the run's data (did you mean g5?); known cases: "),
    (["g5", "nobody"], "error: B: no case 'nobody' in the run's data; known cases: "),
    (["g5", "gemeente 5"], "error: B: A and B are the same case (g5); give two different cases"),
    (["g5", "g2", "--lang", "fr"], "error: --lang: language 'fr' is not available"),
    (["g5", "g2", "--json", "--out", "x.html"], "error: --json: --json writes JSON"),
])
def test_cli_mistakes_exit_2_with_one_error_line(study_run, capsys, args, expected):
    folder, _ = study_run
    code, out, err = run_cli(["compare-cases", str(folder), *args], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err and out == ""
    assert lines[0].startswith("Usage: bayesstreams compare-cases") and lines[1].startswith(expected)
    if "known cases" in expected:
        assert all(f"g{i} (Gemeente {i})" in lines[1] for i in range(1, 9))


def test_cli_writes_html_md_json_and_replaces_only_with_force(study_run, tmp_path, capsys):
    folder, _ = study_run
    for suffix in (".html", ".md", ".json"):
        out = tmp_path / f"g5-g2{suffix}"
        code, stdout, err = run_cli(["compare-cases", str(folder), "g5", "g2", "--out", str(out)], capsys)
        assert code == 0, err
        assert stdout.strip() == f"comparison written to {out}"
    assert (tmp_path / "g5-g2.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads((tmp_path / "g5-g2.json").read_text(encoding="utf-8"))["window"] == "W1"
    target = tmp_path / "g5-g2.md"
    target.write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["compare-cases", str(folder), "g5", "g2", "--out", str(target)], capsys)
    assert code == 2 and "already exists; pass --force to replace it" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "mine"
    code, _, err = run_cli(["compare-cases", str(folder), "g5", "g2", "--out", str(target), "--force"], capsys)
    assert code == 0 and target.read_text(encoding="utf-8").startswith("# Gemeente 5 beside Gemeente 2")
    code, _, err = run_cli(["compare-cases", str(folder), "g5", "g2", "--out", str(tmp_path / "x.txt")], capsys)
    assert code == 2 and "a comparison is written as .html, .md or .json" in err
    assert not (tmp_path / "x.txt").exists()


def test_a_typo_of_the_command_suggests_it(study_run, capsys):
    code, _, err = run_cli(["compare-case", "run", "a", "b"], capsys)
    assert code == 2 and "did you mean compare-cases?" in err


# ---------------------------------------------------------------------------- the shipped study's fit


@pytest.mark.model
def test_on_the_study_fit_chances_are_run_cases_and_gains_are_the_advice_s_levers(study_fit):
    comparison = study_fit.compare_cases("Gemeente 6", "g7")  # g6: W1 open, W2 closed (target W2); g7 both open
    assert comparison.window == "W2" and comparison.counterfactual
    cases = study_fit.cases().set_index(["case_id", "quantity"])
    for side in (comparison.a, comparison.b):
        for name in ("p_w1", "p_w2"):
            row = cases.loc[(side.case_id, name)]
            assert [side.__dict__[name][k] for k in SUMMARY] == pytest.approx([row[k] for k in SUMMARY], abs=1e-12)
    levers = {e["factor"]: e["gain"]["mean"] for e in study_fit.advice("g6").levers}
    taken = [e for e in comparison.separating if e["code_b"] == 1 and e["factor"] in levers]
    assert taken
    for entry in taken:
        assert entry["gain"]["mean"] == pytest.approx(levers[entry["factor"]], abs=1e-12)
    assert all(e["support"] != "no data: prior only" for e in comparison.separating)
    assert comparison.prior_checks and "power" in comparison.prior_checks
