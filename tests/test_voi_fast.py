"""The fast path of what to find out next (issue 24 item 6) equals the NumPy reference path.

The kernels (:mod:`bayesstreams.fast.intervals`, :mod:`bayesstreams.fast.counterfactual`) are
held to their NumPy references on random inputs that reach every branch, and the whole query
(``next_evidence``) to ``reference=True`` on the shipped study (a fake posterior in the fast
tier, the real fit in the model tier) and on a simulated study with groups that is not the
shipped one.
"""

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis.advice import lever_draws, lever_draws_many
from bayesstreams.analysis.case_evidence import Evidence, counterfactual
from bayesstreams.analysis.voi import _intervals, next_evidence
from bayesstreams.fast.counterfactual import counterfactual_target
from bayesstreams.fast.intervals import weighted_interval_ends

from .helpers import partly_observed_dataset


def assert_frames_equal(fast, reference):
    """Every column equal: numbers to 1e-12, labels and verdicts exactly, in the same row order."""
    assert list(fast.columns) == list(reference.columns) and len(fast) == len(reference) > 0
    for name in reference.columns:
        a, b = fast[name], reference[name]
        if b.dtype.kind == "f":
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-12, err_msg=name)
        else:
            pd.testing.assert_series_equal(a, b, obj=name)


def test_the_interval_kernel_equals_the_numpy_reference_on_ties_zero_weights_and_point_masses():
    rng = np.random.default_rng(11)
    values = np.round(rng.normal(size=800), 1)  # many ties
    weights = rng.dirichlet(np.full(800, 0.2), size=40)
    weights[3] = 0.0
    weights[3, 17] = 1.0  # all mass on one draw
    weights[4] = 1.0 / 800  # uniform
    weights[5, :400] = 0.0
    weights[5] /= weights[5].sum()
    order = np.argsort(values, kind="stable")
    low, high, mean, sd = weighted_interval_ends(values[order][None], order[None], np.zeros(40, dtype=np.intp),
                                                 weights, 0.05, 0.95)
    ref_low, ref_high, ref_sd = _intervals(values, weights)
    np.testing.assert_allclose(low, ref_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sd, ref_sd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mean, weights @ values, rtol=0, atol=1e-12)
    assert (low <= high).all() and high[3] == values[17]


def test_the_interval_kernel_reads_each_row_against_its_own_values():
    rng = np.random.default_rng(12)
    values = rng.normal(size=(3, 300))
    weights = rng.dirichlet(np.ones(300), size=9)
    which = np.array([0, 1, 2, 2, 1, 0, 0, 1, 2])
    order = np.argsort(values, axis=1, kind="stable")
    low, high, _, sd = weighted_interval_ends(np.take_along_axis(values, order, axis=1), order, which, weights,
                                              0.05, 0.95)
    for r, m in enumerate(which):
        ref = _intervals(values[m], weights[r:r + 1])
        assert (low[r], high[r], sd[r]) == pytest.approx((ref[0][0], ref[1][0], ref[2][0]), abs=1e-12)


@pytest.mark.parametrize("target", [0, 1])
@pytest.mark.parametrize("w1_open", [False, True])
def test_the_counterfactual_kernel_equals_the_numpy_reference_for_every_kind_of_evidence(target, w1_open):
    rng = np.random.default_rng(13 + target + 2 * w1_open)
    draws, levers = 300, 4
    q = rng.uniform(0.01, 0.99, size=(draws, 2, 3))
    q_new = rng.uniform(0.01, 0.99, size=(levers, draws, 2, 3))
    q_new[0] = q  # no intervention at all
    lam, kap, rho = rng.uniform(0, 0.3, (draws, 2)), rng.uniform(0, 0.3, (draws, 2)), rng.uniform(0, 1, draws)
    nan = np.nan
    for s in (np.full((2, 3), nan), np.array([[1, 0, nan], [nan, 1, 1]]), np.array([[0, 0, 0], [1, 1, 1]])):
        for w in (np.array([nan, nan]), np.array([0.0, nan]), np.array([1.0, 0.0]), np.array([0.0, 0.0])):
            evidence = Evidence(s.astype(float), w)
            ref = counterfactual(q, q_new, lam, kap, rho, evidence, target, w1_open)[0]
            fast = counterfactual_target(q, q_new, lam, kap, rho, evidence.s, evidence.w, target, w1_open)
            np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-12, equal_nan=True)


def test_many_cases_levers_at_once_equal_one_case_at_a_time(fake_study):
    _, run = fake_study
    many = lever_draws_many(run.posterior, run.dataset, kernel=counterfactual_target)
    assert any(len(factors) for factors, _ in many)
    for case, (factors, gains) in zip(run.dataset.case_ids, many):
        ref_factors, ref_gains = lever_draws(run.posterior, run.dataset, case)
        assert factors == ref_factors
        np.testing.assert_allclose(gains, ref_gains, rtol=0, atol=1e-12)


def test_the_fast_path_equals_the_reference_on_the_shipped_study(fake_study):
    _, run = fake_study
    queries = None  # the default set: every claim and every case with a window to open
    assert_frames_equal(next_evidence(run, queries).frame, next_evidence(run, queries, reference=True).frame)


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory):
    """A simulated study with groups and 14 cases (not the shipped one), prior-like draws as its posterior."""
    from bayesstreams.inference.store import load_run

    from .helpers import prior_like_draws, write_fake_run

    dataset = partly_observed_dataset(n_cases=14, seed=3, groups=True)
    folder = write_fake_run(tmp_path_factory.mktemp("voi-fast") / "run", dataset,
                            prior_like_draws(dataset, n=600, seed=4), prior_like_draws(dataset, n=600, seed=5))
    return load_run(folder)


def test_the_fast_path_equals_the_reference_on_a_simulated_study_with_groups(simulated_run):
    run = simulated_run
    factors = run.dataset.factor_ids
    queries = ["dependency", f"effect:{factors[0]}", f"effect:{factors[-1]}:W2"]
    queries += [f"case:{c}" for i, c in enumerate(run.dataset.case_ids) if not (run.dataset.w[i] == 1).all()]
    fast = next_evidence(run, queries)
    assert (fast.frame["kind"] == "reveal").any() and fast.frame["p_lever_change"].notna().any()
    assert_frames_equal(fast.frame, next_evidence(run, queries, reference=True).frame)


@pytest.mark.model
def test_the_fast_path_equals_the_reference_on_the_shipped_fit(study_fit):
    assert_frames_equal(next_evidence(study_fit).frame, next_evidence(study_fit, reference=True).frame)


def test_without_a_fitted_tail_an_outcome_is_unreliable_null_in_json_and_refitted_under_a_budget(tmp_path):
    """The one rule for an unfitted Pareto tail (k None) as the value-of-information query reads it."""
    import json
    from types import SimpleNamespace

    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.store import load_run
    from bayesstreams.pipeline.robustness import next_evidence as pipeline_next

    from .conftest import STUDY
    from .helpers import prior_like_draws, write_fake_run

    dataset = load_dataset(STUDY)
    run = load_run(write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, n=20, seed=1),
                                  prior_like_draws(dataset, n=20, seed=2)))
    found = next_evidence(run, ["case:g6"], kinds=("reveal",))
    moved = found.frame[found.frame["p_unreliable"] > 0]
    assert len(moved) and moved["max_k"].isna().all()  # no tail fitted: no k, and never 1.8e308
    records = json.loads(found.frame.to_json(orient="records"))
    assert all(r["max_k"] is None for r in records if r["p_unreliable"] > 0)
    assert_frames_equal(found.frame, next_evidence(run, ["case:g6"], kinds=("reveal",), reference=True).frame)
    refitted = []
    study = SimpleNamespace(run=run, refit=lambda data, progress=False: refitted.append(data) or run)
    again = pipeline_next(study, ["case:g6"], budget=3, kinds=("reveal",))
    assert len(refitted) == 3 and again.n_refits == 3 and (again.frame["refits"] > 0).any()


def test_the_brief_reads_find_out_first_from_the_studys_result_instead_of_computing_it(fake_study, monkeypatch):
    """analyze computes what to find out next once; the brief's order then equals the one it computes alone."""
    import bayesstreams.reporting.brief as brief

    _, run = fake_study
    alone = brief.brief_data(run, "g6", lang="en")
    found = next_evidence(run)
    monkeypatch.setattr(brief, "next_evidence", lambda *a, **k: pytest.fail("computed again"))
    shared = brief.brief_data(run, "g6", lang="en", next_found=found)
    assert repr(alone.steps) == repr(shared.steps)  # the same advice, in the same words and order
    seen = {}
    original = brief._order_by_value

    def spy(run, case_id, advice, found=None):
        original(run, case_id, advice, found)
        seen[found is None] = [(e["factor"], e["value"]) for e in advice["find_out_first"]]

    monkeypatch.setattr(brief, "_order_by_value", spy)
    brief.brief_data(run, "g6", lang="en", next_found=found)
    monkeypatch.setattr(brief, "next_evidence", next_evidence)
    brief.brief_data(run, "g6", lang="en")
    assert seen[False] and [f for f, _ in seen[False]] == [f for f, _ in seen[True]]
    for (_, a), (_, b) in zip(seen[False], seen[True]):
        assert a["p_lever_change"] == pytest.approx(b["p_lever_change"], abs=1e-12)
        assert a["expected_reduction"] == pytest.approx(b["expected_reduction"], abs=1e-12)


@pytest.mark.parametrize("mode", ["marginal", "salience"])
def test_the_fast_path_equals_the_reference_under_an_evidence_mode(mode):
    """Not-discussed cells summed out: the changed data get their own baseline (no shift of eta), levers included."""
    from .test_explore import _prior_run

    dataset = partly_observed_dataset(n_cases=8, seed=5, groups=True, p_missing=0.35)
    run = _prior_run(dataset, f'[evidence]\nnot_discussed = "{mode}"\n', n=300, seed=6, chains=3)
    queries = ["dependency"] + [f"case:{c}" for i, c in enumerate(dataset.case_ids) if not (dataset.w[i] == 1).all()]
    fast = next_evidence(run, queries)
    assert fast.frame["p_lever_change"].fillna(0).gt(0).any()
    assert_frames_equal(fast.frame, next_evidence(run, queries, reference=True).frame)
